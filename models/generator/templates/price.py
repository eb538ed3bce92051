"""price_shopper: pricing-only questions before any service, even when insurance is named.

Prices asked about or quoted here are not BILLED_AMOUNT; copays and deductibles the
writer states about their plan still are COPAY/DEDUCTIBLE.
"""

# One template per line keeps the prose reviewable, hence the long lines.
# ruff: noqa: E501

from __future__ import annotations

_NOTYET = "[I haven't booked anything yet.|I'm not a patient yet, just shopping around.|Just want to know the price first.|Trying to compare prices before I commit.|I'm getting quotes from a few places.|]"

CORE = [
    f"How much is a {{PROC}} if I pay cash? {_NOTYET}",
    f"Do you take {{CARRIER}}? And how much would a {{PROC}} cost with it? {_NOTYET}",
    f"What's your self-pay price for a {{PROC}}? [I don't have insurance right now.|I'm between jobs and uninsured.|My plan doesn't cover it.] {_NOTYET}",
    f"I have a {{PLANTYPE}} with {{CARRIER}} and my deductible is {{DEDUCT}}, none of it met. What would I pay out of pocket for a {{PROC}}? {_NOTYET}",
    f"Can you give me an estimate for a {{PROC}}? Another office quoted me {{PRICE}}. {_NOTYET}",
    f"My copay for specialists is {{COPAY}}. Would that be all I pay for a consult plus a {{PROC}}, or are there other fees? {_NOTYET}",
    f"Is a {{PROC}} cheaper at your {{HOOD}} location or is it the same price? {_NOTYET}",
    f"Do you offer payment plans or a cash discount for a {{PROC}}? I'm looking at around {{PRICE}} elsewhere. {_NOTYET}",
    f"What's the cost of a new patient visit without insurance? And does that include [labs|x-rays|a cleaning]? {_NOTYET}",
    f"Price check: {{PROC}} with and without contrast? I have {{CARRIER}} but a high deductible. {_NOTYET}",
    f"Do you have a price list? Specifically for a {{PROC}} and a {{PROC}}. {_NOTYET}",
    f"I'm thinking about [LASIK|Invisalign|veneers|a tummy tuck|Botox|implants|a vasectomy] and want to know the total cost including follow-ups. {_NOTYET}",
    f"If I have {{CARRIER}} {{PLANTYPE}} with a {{COPAY}} copay, what would a {{PROC}} run me? {_NOTYET}",
    f"Can you tell me the cash price for [CPT 70553|CPT 45378|code 99203|an ICD-10 Z00.00 physical|CPT 97110]? {_NOTYET}",
    f"Is the {{PRICE}} I saw on your website for a {{PROC}} still accurate? {_NOTYET}",
    f"My {{REL}}'s plan is {{CARRIER}}, I'm on it. Do you take it, and what's the copay usually for a {{PROC}}? {_NOTYET}",
    f"I'm {{AGE}} and on {{MEDICARE}}. Would a {{PROC}} be covered or would I have to pay something? {_NOTYET}",
    f"Do you price match? [Bright Smiles|City Imaging|the urgent care down the street] charges {{PRICE}} for a {{PROC}}. {_NOTYET}",
    f"What does a {{PROC}} cost for a kid? My [son|daughter] is {{AGEYOUNG}}. We have [no insurance|{{CARRIER}}]. {_NOTYET}",
    f"Ballpark price for a {{PROC}}? I have an HSA and want to budget before I schedule anything. {_NOTYET}",
    f"How much do you charge for a sports physical? Need one for [school|camp|the team] by {{MONTHONLY}}. {_NOTYET}",
    f"Are there separate fees for the [radiologist|anesthesia|facility|pathology] on a {{PROC}}? Just want the full price upfront. {_NOTYET}",
    f"Is the consult free or is there a fee? And what's the usual price range for the treatment after? {_NOTYET}",
    f"Out-of-network with {{CARRIER}}, what's the cost for a {{PROC}}? My deductible is {{DEDUCT}}. {_NOTYET}",
    f"What would I owe for a {{PROC}} if my plan pays 80% after the deductible? Plan is {{CARRIER}} {{PLANTYPE}}, {{MEMBERID_C}}. {_NOTYET}",
    f"Quick price question for a {{PROC}}: cash vs insurance? {_NOTYET}",
    f"Hi, how much is an eye exam plus contacts fitting? I have {{CARRIER}} vision through work. {_NOTYET}",
    f"Do you have a good faith estimate for a {{PROC}}? I'm self-pay. {_NOTYET}",
    f"How much for [a teeth cleaning and x-rays|a filling|a crown|a root canal|an extraction] without dental insurance? {_NOTYET}",
    f"Comparing costs for a {{PROC}} for my {{KIN}}, who is {{AGE}}. What's your price? {_NOTYET}",
    "Do you accept {CARRIER}? If not, what's your cash rate for an office visit? Just comparing options.",
    "How much would it cost to get a {PROC} for my {KIN}? No insurance. We haven't scheduled anything.",
    "Thinking of switching dentists. What do you charge for a new patient exam + cleaning without insurance?",
    "What's the price difference between a {PROC} and a {PROC}? Trying to decide before I book.",
    "I'm on {CARRIER} {PLANTYPE} with a {DEDUCT} deductible. Would it be cheaper to pay cash for a {PROC}?",
    "Hi, I'm pricing out {PROC}s for my employees. Do you have a group rate?",
    "Does your self-pay rate of {PRICE} include the follow-up visit?",
    "What's the copay usually at your office for specialist visits with {CARRIER}? Mine says {COPAY} but want to confirm before booking.",
    "How much for allergy testing? Paying out of pocket. Not scheduling until I know the price.",
    "What do you charge for a {PROC} vs the hospital? I heard the hospital is {PRICE}.",
]

NOTE = [
    "Price inquiry: caller {PATIENT} asking cash price for {PROC}. Not est pt. Quoted {PRICE}. CB {PHONE}.",
    "Caller asked if we accept {CARRIER} {PLANTYPE} and est cost for {PROC}; ded {DEDUCT} not met. Not scheduled.",
    "Self-pay estimate req'd for {PROC} + {PROC}. Good faith estimate emailed to {EMAIL}.",
    "Prospective pt {PATIENT} shopping prices, copay {COPAY} per pt. Quoted {PRICE} self-pay rate.",
]

SUBJECTS = [
    "Price question",
    "How much?",
    "Cost of procedure",
    "Self-pay price",
    "Estimate request",
    "Cash price",
    "Pricing",
    "Cost estimate",
    "Do you take my insurance?",
]
