"""clinical_concern: symptoms, side effects, post-procedure problems, urgent needs."""

# One template per line keeps the prose reviewable, hence the long lines.
# ruff: noqa: E501

from __future__ import annotations

_SURG = "[knee surgery|gallbladder surgery|c-section|tooth extraction|wisdom teeth removal|hernia repair|biopsy|root canal|shoulder surgery|tummy tuck|colonoscopy|mole removal|cataract surgery|implant placement]"

CORE = [
    "I've had {SYMPTOM} since {RELDATE} and it's getting worse. [Should I come in?|Do I need to go to the ER?|What should I do?]",
    f"I'm {{NUM}} days out from my {_SURG} (it was {{DATE}}) and there's {{SYMPTOM}}. [Is that normal?|Should someone look at it?]",
    "Since starting {DRUG} {DOSE} I've had {SYMPTOM}. Should I stop taking it?",
    "My {LAB} this morning on my home monitor. I feel [dizzy|shaky|off|lightheaded]. What should I do?",
    "I attached a photo of the rash, {PHOTO}. It started on my [arm|back|leg|chest|face] {RELDATE} and is spreading.",
    "My [son|daughter] {FNAME} ({AGEYOUNG}) has had {SYMPTOM} for [two|three|four] days. Fever won't come down with Tylenol.",
    "My {DEVKIND} has been alarming all night and I'm worried it's not working. It's a {MODEL}, {SERIAL_C}.",
    "My [dad|mom|grandmother] is {AGE90} and fell this morning. [She|He] seems confused and [her|his] hip hurts. Should we bring [her|him] in or go to the ER?",
    "I'm pregnant ({NUM} weeks) and having {SYMPTOM}. Is this something I should be seen for today?",
    "The incision from my {DATEBARE} surgery is red, hot and [oozing|swollen|opening up]. Temp is [100.4|101.2|100.9]. Pictures attached: {PHOTO} and {PHOTO}.",
    "I think I'm having a reaction to the {DRUG}. My [lips are swelling|throat feels tight|skin is itchy and hives everywhere].",
    "I ran out of my {DRUG} {RELDATE} and I'm having withdrawal symptoms. Can {DRSAME} call something in today?",
    "My blood sugar has been over 300 for [two days|since last night] even with my Humalog. My {LAB}. Pump {SERIAL_C}.",
    "My heart has been racing on and off since {RELDATE}. I have a pacemaker, {SERIAL_C}. Should I get it checked?",
    "Still bleeding after my {_SURG} {DATE}, soaking through gauze every hour. Please call me back ASAP.".replace(
        "{_SURG}", _SURG
    ),
    "Having {SYMPTOM} again, same as the flare in {MONTHONLY}. Do I need to restart the prednisone?",
    "I have {SYMPTOM} and {SYMPTOM}. I'm {AGE} with a history of [heart disease|diabetes|asthma|COPD|blood clots].",
    "My [hearing aid|CPAP|glucose monitor] readings look off and I've had {SYMPTOM}. Device {SERIAL}.",
    "The swelling in my [leg|foot|arm] is worse today and it's warm to the touch. Photo: {PHOTO}. Could it be a clot?",
    "Is it safe to take {DRUG} with {DRUG}? I took both this morning and now I have {SYMPTOM}.",
    "My {RELWORD} has {SYMPTOM} and is [not making sense|very sleepy|can't keep fluids down]. Should I call 911?",
    "The dressing fell off my [wound|incision|graft site] and it looks [yellow|black around the edges|infected]. Image {PHOTO}.",
    "I had a [tooth pulled|filling|crown placed|root canal] {DATE} and now my jaw is swollen and throbbing. Taking ibuprofen {DOSE} every 6 hrs but it's not helping.",
    "My BP has been running high, {LAB} this morning and {LAB} last night. I'm on {DRUG} {DOSE}.",
    "I've been feeling really [down|anxious|hopeless] since {RELDATE} and the new dose of {DRUG} isn't helping. I need to talk to someone.",
    "Woke up with {SYMPTOM} and my vision is [blurry|doubled] in my [left|right] eye. I had [cataract surgery|LASIK|an injection] {DATE}.",
    "Got stung by a bee and my hand is swollen to the wrist. I'm allergic and used my EpiPen. What now?",
    "My baby ({AGEYOUNG} months) has a fever of 102 and is refusing to eat. Should we come in today?",
    "I finished the antibiotics {DRSAME} prescribed {DATE} but still have {SYMPTOM}.",
    "Post-op day {NUM} from my {_SURG}, I can't [pee|eat|sleep] because of the pain and the {DRUG} isn't touching it.".replace(
        "{_SURG}", _SURG
    ),
    "I'm {AGE} and had a fall at home, hit my head. On Eliquis. Do I need to be seen?",
    "Since the new {DEVKIND} was put in {DATE} I've had {SYMPTOM}. Could it be related?",
    "Need to talk to a nurse today. {SYMPTOM} and it's not getting better with rest.",
    "My [husband|wife|partner] noticed my speech was slurred this morning for a few minutes. It's gone now. Should I still get checked?",
    "I'm on {DRUG} and my {LAB} at the pharmacy kiosk. Is that dangerous?",
    "After the [shot|vaccine|injection] {RELDATE} my arm is hot, swollen and red down to my elbow. Photo {PHOTO}.",
    "I've been throwing up since last night and can't keep {DRUG} down. Is there something else I can take?",
    "My [son|daughter] was bitten by a dog at the park. The bite broke the skin. Do [he|she] need a tetanus shot?",
    "The pain from my [kidney stone|gallbladder|back] is back, 8/10, same as {MONTHONLY}. What should I do?",
    "My CGM ({SERIAL_C}) shows I'm dropping into the 50s overnight. I feel sweaty and shaky when I wake up.",
    "Got a positive home [COVID|pregnancy|strep] test and I have {SYMPTOM}. What's next?",
]

NOTE = [
    "Triage: pt {NOTENAME} ({DOB_C}) c/o {SYMPTOM} x [2|3|4] days. Hx [HTN|DM2|CHF|asthma]. {LAB}. Advised ED if worse. CB {PHONE}.",
    "Pt s/p [TKA|lap chole|extraction|C/S] on {DATEBARE} reports {SYMPTOM}. Photo rec'd via portal {PHOTO}. Msg to {DRSAME}.",
    "Pt reports side effects from {DRUG} {DOSE}: {SYMPTOM}. Instructed to hold dose. {MRN_C}.",
    "Device alert: {DEVKIND} {MODEL} {SERIAL_C} transmitted alarm. Pt {PATIENT} notified, asymptomatic per pt.",
    "Caller ({RELWORD} of pt) states pt age {AGE90} fell, confused. Advised 911. Pt {NOTENAME}, {MRN_C}.",
    "RN call: pt {PATIENT} w/ fever 101.8, {SYMPTOM}. Work-in appt offered {TIME}. CB {PHONE}.",
    "Pt c/o bleeding post-op, soaking gauze q1h. Surg {DATEBARE}. Urgent callback req, {PHONE}.",
]

SUBJECTS = [
    "Worried about symptoms",
    "Post-op question",
    "Side effects",
    "Urgent - please call",
    "rash",
    "Not feeling well",
    "Pain after surgery",
    "medication reaction",
    "Need advice",
    "Fever",
]
