"""new_patient_inquiry: prospective patients, including asking for a first visit (tie-breaker)."""

# One template per line keeps the prose reviewable, hence the long lines.
# ruff: noqa: E501

from __future__ import annotations

_SPEC = "[primary care doctor|PCP|family doctor|dentist|pediatrician|dermatologist|OB/GYN|eye doctor|cardiologist|therapist|orthodontist|allergist|podiatrist|ENT|GI doctor|endocrinologist]"
_ACCEPT = "[Are you accepting new patients|Are you taking new patients|Do you have openings for new patients|Is the practice accepting new patients right now|Are you guys taking new pts|Can you take on a new patient]"

CORE = [
    f"I'm looking for a new {_SPEC} and wanted to ask: {_ACCEPT}?",
    f"We just moved to {{CITY}} from {{STATE}} and need to find a {_SPEC} for the family. {_ACCEPT}?",
    f"My {_SPEC} retired [last month|this year|in {{YEAR}}] and I need to establish care somewhere new. {_ACCEPT}?",
    "I'd like to [schedule|book|set up] my first appointment as a new patient[ with {DR}|]. [I'm free most mornings|Any weekday works|Afternoons are best for me].",
    "Can I get a new patient visit with {DR}? I was referred by my [friend|coworker|sister|neighbor] who sees [him|her|them] and [loves|really likes] the practice.",
    f"[Hi, |]I've never been seen at your office before. What do I need to do to become a patient? {_ACCEPT}?",
    "I'm [{AGEADULT}|a new resident here|new to the area] and looking for a [doctor|dentist|clinic] close to {HOOD}. Do you have anything for a new patient in the next few weeks?",
    "Do you take {CARRIER}? I'm looking to switch to your practice and would need a first visit[ sometime {RELDATE}|].",
    "My {RELWORD} and I are both looking for a new {CARE}. Is it possible to book our first appointments back to back?",
    "I was referred to {DRSAME} by my [PCP|primary|dentist|OB] for [a consult|an evaluation|a second opinion] about my [knee|back|skin|heart|thyroid|sleep]. How do I schedule a new patient consult?",
    "I need to set up care for my [son|daughter|newborn|toddler], {FNAME}, who is {AGEYOUNG} [months|years] old. Are you accepting new pediatric patients?",
    "My [mother|father|grandmother|grandfather] is {AGE90} and needs a new doctor who does home visits or is close to {CITY}. Do you accept new elderly patients?",
    "I found you on [Google|Zocdoc|Yelp|your website|Facebook] and would like to become a patient. [What's the process?|What paperwork do you need?|Can I register online?]",
    "Hi! New patient here, wanting to book a [cleaning and exam|physical|check up|consult|well visit]. Is there a new patient form I should fill out first?",
    "I am a [veteran|college student|teacher|retiree|nurse] moving to {CITY} in {MONTHONLY} and want to get established before I arrive. {_ACCEPT}?".replace(
        "{_ACCEPT}", _ACCEPT
    ),
    "Do you have any [female|Spanish-speaking|Korean-speaking|Vietnamese-speaking] providers taking new patients? I'd like to schedule a first visit for my [mom|dad|husband|wife].",
    "Is {DRSAME} taking new patients? My previous doctor, {DR}, [moved away|left the practice|closed her office].",
    "I'd like to transfer my care to your office. My records are at {PRACTICE}; do you request them or should I?",
    "Looking to become a new patient. I have {CARRIER} {PLANTYPE} through work. Do you take it and when is the next new patient opening?",
    "I need a new {CARE} for ongoing [diabetes|blood pressure|asthma|thyroid|anxiety] management since I just lost my old one. [Could I get on the schedule?|Can you fit me in as a new patient?]",
    "Hello, I'm {PATIENT} and I'm interested in becoming a patient at your [office|clinic|practice]. What information do you need from me?",
    "Hoping to establish care. I'm pregnant[, about {NUM} weeks|] and need a new OB. Are you accepting new OB patients?",
    "My [kids|children] need a new dentist, they are {AGEYOUNG} and {AGEYOUNG}. Can we book first visits for both of them on the same day?",
    "Can I schedule a new patient appointment online or do I have to call? I tried the link on your site but it wouldn't load.",
    "I'm new in town (just moved to {HOOD}) and need a doctor for [refills|my regular checkups|ongoing care]. When is your first available new patient slot?",
    "I have [{MEDICARE}|{MEDICAID}] and I'm looking for a doctor who accepts it. I'm not a patient yet. Could I become one?",
    "Our family of {NUM} is looking to switch to your practice. Do you need all of us to come in for first visits?",
    "A friend recommended {DR}. I'd like to be seen as a new patient for [a skin check|a physical|a consult about my knee|a cleaning|a hearing test].",
    "I'm visiting from {COUNTRY} for [six months|the summer|a year] and need a local {CARE}. Do you see new patients who are here temporarily?",
    "First time reaching out. I'd like to book a new patient exam[ for {DATEBARE}|] if there's anything open.",
    "We're adopting and need a pediatrician for our new son {FNAME}. Are you taking new patients?",
    "I'd like to start seeing a therapist at your clinic. I've never been there before. How do intake appointments work?",
    "Do new patients need a referral to see {DRSAME}, or can I just book a consult?",
    "Hi, my {RELWORD} and I are expecting in {MONTHONLY} and we're looking for a pediatrician for the baby. Are you taking new families?",
    "I got your name from {CARRIER}'s provider directory. Is {DRSAME} really in network and taking new patients?",
    "I'm not an established patient but my [sister|cousin|roommate] goes to you. Can I get on the books for a first [exam|visit]?",
    "Does your office see new patients with [autism|ADHD|Down syndrome|chronic pain|long COVID]? My {KIN} needs a doctor who understands that.",
    "Need to establish with a new PCP since my insurance switched to {CARRIER} {PLANTYPE} and my old doctor isn't in network. What's the soonest new patient visit?",
    "Are you accepting new {MEDICARE} patients? I'm {AGE} and just moved into {HOOD} to be near my kids.",
    "My {KIN} is coming to live with us from {COUNTRY} and will need a doctor here. Can [he|she] register as a new patient?",
    "Do you require records from my old office before my first visit? I haven't been seen anywhere since {YEAR}.",
    "I'm a [college student|grad student|new employee] at the [university|hospital|plant] and need a local {CARE}. How do I sign up as a new patient?",
    "Hello, I'd like to become a patient. I saw {DR} speak at [a community event|my church|the library] and liked her approach.",
]

NOTE = [
    "New pt inquiry: {PATIENT} ({DOB_C}) wants to est care w/ {CARE}[, ref by {DR}|]. {INSNOTE} CB {PHONE}.",
    "Caller {PATIENT}, prospective pt, asking if we accept new pts[ w/ {CARRIER}|]. Wants first avail new pt appt. CB {PHONE}.",
    "Prospective pt {PATIENT} called re: establishing care; moved from {CITY}. Requests new pt packet by email {EMAIL}.",
    "{NOTENAME} - NEW PT - requesting first appt w/ {DRSAME} for [consult|eval|2nd opinion]. Referral from {DR} faxed from {FAX}. {INSNOTE}",
    "Web lead: {PATIENT}, {DOB_C}, wants to become pt. Addr {ADDRESS}. Pref contact {PHONE}.",
    "Daughter {FNAME} called for mother {PATIENT} (age {AGE90}), new pt, needs est care + home visit info. CB {PHONE}.",
    "NP inquiry, pt not yet registered. Asked re: new pt availability [next wk|this month|after {DATEBARE}]. Sent intake link {URL}.",
    "Pt {PATIENT} new to practice, [transferring|xfer] care from {PRACTICE}. Records release signed. {INSNOTE} CB {PHONE}.",
]

SUBJECTS = [
    "New patient inquiry",
    "Accepting new patients?",
    "Becoming a patient",
    "New patient appointment",
    "Looking for a new doctor",
    "first visit",
    "new pt question",
    "Establishing care",
    "Transfer of care",
]
