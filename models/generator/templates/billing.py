"""billing_inquiry: bills, statements, coverage and claims for services already received."""

# One template per line keeps the prose reviewable, hence the long lines.
# ruff: noqa: E501

from __future__ import annotations

_SVC = "[visit|appointment|lab work|x-ray|MRI|ER visit|procedure|cleaning|filling|sleep study|physical|ultrasound|therapy session|surgery|colonoscopy]"

CORE = [
    f"I got a bill for {{BILLED}} for my {_SVC} {{DATE}}. [I thought insurance covered that.|Can you explain what it's for?|Why wasn't this sent to insurance?]",
    f"My statement ({{STATEMENT_C}}) says I owe {{BILLED}} but I already paid {{BILLED}} at the {_SVC}. Can you check?",
    "Can you resubmit my claim to {CARRIER}? {CLAIM_C} was denied for [missing info|no referral|wrong member ID|coordination of benefits].",
    "I'd like to set up a payment plan for my balance of {BILLED}. My {ACCOUNT_C}.",
    "I want to pay my bill over the phone. Use my {CARD}. The {ACCOUNT_C}.",
    "My insurance changed {DATE}. New insurance is {CARRIER} {PLANTYPE}, {MEMBERID_C}, {GROUPNO_C}. Please rebill my last visit.",
    "I have secondary insurance through my {REL}'s plan, {CARRIER2}, {MEMBERID2_C}. Can you bill them for the remaining {BILLED}?",
    "The EOB from {CARRIER} says patient responsibility is {BILLED} but your bill says {BILLED}. Which is right? {CLAIM_C}.",
    "Why was I charged a {COPAY} copay when my plan says preventive visits are free? This was for my annual on {DATEBARE}.",
    "I met my {DEDUCT} deductible already this year so I don't understand the {BILLED} charge from {DATEBARE}.",
    "Can you send me an itemized bill for {ACCOUNT_C}? I need it for my HSA.",
    "I received a refund check for {BILLED} but I think it's a mistake. {STATEMENT_C}.",
    "The prior auth for my [MRI|surgery|infusion|sleep study] was approved ({AUTH_C}) but the claim still got denied. Can you appeal?",
    "The referral from my PCP was {AUTH_C}. {CARRIER} says you billed without it. Can you resubmit {CLAIM_C}?",
    "I'm the subscriber on the plan, {SELFSUB}, and my {KIN} is a dependent. The claim for [his|her] visit {DATE} was billed under the wrong name.",
    "The policy holder is my {REL}, {SUBSCRIBER}, {POLICYNO_C}. Please update the account before rebilling.",
    "I paid {BILLED} online through the link {URL} but it isn't showing on my account.",
    "{MEDICARE} should be primary and {CARRIER2} secondary. Your office billed them backwards for my {DATEBARE} visit. {MEMBERID_C}.",
    "Can I get a copy of the receipt for the {BILLED} I paid {DATE}? Paid with {CARD}.",
    "Was my claim for {DATEBARE} sent to {CARRIER}? They say they have nothing on file for {PATIENT}.",
    "I got a collections notice for {BILLED} for a visit in {MONTHONLY}. I never got a bill. {ACCOUNT_C}.",
    "I think I was double billed, there are two charges of {BILLED} on {DATEBARE}. {STATEMENT_C}.",
    "My {KIN} had an ER visit {DATE} and the bill is {BILLED}. We have {CARRIER} {PLANTYPE}. What does that cover?",
    "Can you tell me what my remaining balance is? {ACCOUNT_C}, DOB {DOB}.",
    "My car accident claim goes through {AUTOINS}, claim # {CLAIM}. Please bill them for the PT visits, not my health insurance.",
    "The bill lists a [CPT 99214|code 99215|lab code 80053|procedure code] I don't recognize. My {ACCOUNT_C}.",
    "I have {MEDICAID} and shouldn't be getting bills. Why did I receive one for {BILLED}? {MEMBERID_C}.",
    "My {REL}'s employer plan is {CARRIER}, group {GROUPNO}, and I'm on it as {RELSELF}. The claim was denied as not covered.",
    "I was told my copay would be {COPAY} but I was charged {BILLED} at check-out {DATE}. Can you look into it?",
    "Please update my card on file to {CARD}, the old one expired. Balance is {BILLED}.",
    "Did you receive my HSA payment of {BILLED}? The {BANK} was debited {DATE}.",
    "Can you give me the claim number for my {DATEBARE} visit so I can follow up with {CARRIER}?",
    "The deductible on my {PLANTYPE} is {DEDUCT}. {CARRIER} says I only have {BILLED} left to meet, but you billed me more than that.",
    "I received two bills for the same visit {DATE}, one for {BILLED} and one for {BILLED}. Is one a duplicate? {ACCOUNT_C}.",
    "Can you check if {CARRIER} paid yet for my {DATEBARE} visit? The portal still shows {BILLED} due.",
    "I switched jobs, my new insurance is {CARRIER} {PLANTYPE} starting {DATE}. {MEMBERID_C}, {GROUPNO_C}. My old plan was {CARRIER2}.",
    "Why does my statement say 'not covered by plan' for the labs from {DATEBARE}? {CARRIER} told me labs are covered at 100%.",
    "Is it possible to get a discount if I pay the {BILLED} balance in full today?",
    "I'm the policy holder, {SELFSUB}, and my {KIN}'s visit was billed under the wrong member ID. The correct one is {MEMBERID}.",
    "Please send a copy of my receipt for {BILLED} to {EMAIL} for my FSA.",
    "I want to dispute the facility fee of {BILLED} on {STATEMENT_C}.",
    "The {AUTOINS} adjuster said they'd pay for the ER visit from the accident {DATE}. Claim number {CLAIM}. Can you bill them?",
    "My HSA card was declined for the {BILLED} balance. Can you rerun it on my {CARD}?",
]

NOTE = [
    "Billing call: pt {NOTENAME} re: stmt {DATEBARE}, bal {BILLED}. {ACCOUNT_C}. Pt states paid {BILLED} at visit. Research & CB {PHONE}.",
    "Gtr {PERSON} called re: {CLAIM_C} denied by {CARRIER} [for missing referral|for COB|as non-covered]. {AUTH_C} obtained, resubmit.",
    "Pt updated ins: {CARRIER} {PLANTYPE}, sub ID {MEMBERID}, grp {GROUPNO}, subscriber {SUBSCRIBER} ({REL}). Rebill DOS {DATEBARE}.",
    "Pmt plan set up for {BILLED}/mo on {CARD}. Acct {ACCOUNT}.",
    "Pt disputes charge {BILLED} for DOS {DATEBARE}; EOB shows pt resp {BILLED}. {CLAIM_C}. Sent to billing mgr.",
    "Sec ins added: {CARRIER2}, {MEMBERID2_C}. Pt's {REL} is policy holder. Gtr SSN on file ends {SSN4}.",
    "Refund req {BILLED}, overpmt on {STATEMENT_C}. Pt {PATIENT}, {DOB_C}.",
    "Auto claim: {AUTOINS} {CLAIM_C}, adjuster {PERSON} {PHONE}. Bill PT visits to auto carrier.",
    "Pt {PATIENT} asked why copay {COPAY} charged for preventive visit {DATEBARE}. Ded {DEDUCT} met per pt.",
]

SUBJECTS = [
    "Question about my bill",
    "Billing question",
    "Statement",
    "Claim denied",
    "Insurance update",
    "Payment",
    "Balance due?",
    "Refund",
    "Wrong charge",
    "EOB question",
    "billing",
]
