"""appointment_request: established patients scheduling, rescheduling, confirming or cancelling."""

# One template per line keeps the prose reviewable, hence the long lines.
# ruff: noqa: E501

from __future__ import annotations

_VISIT = (
    "[appointment|appt|follow-up|checkup|cleaning|physical|visit|consult|MRI|ultrasound|PT session|injection|annual|recall visit]"
)

CORE = [
    f"I need to reschedule my {_VISIT} {{DATE}} at {{TIME}}. [Do you have anything later that week?|Is {{WEEKDAY}} afternoon open?|Any morning works.]",
    f"Can I [book|schedule|get] a {_VISIT} with {{DR}}? [Preferably|Ideally] on a {{WEEKDAY}} after {{TIME}}.",
    f"I'm calling to confirm my {_VISIT} {{DATE}}[ at the {{HOOD}} office|]. [Please confirm.|Is it still on?|Do I need to bring anything?]",
    f"I have to cancel my {_VISIT} {{DATE}}. [Something came up at work.|My kid is sick.|I'm out of town.|My ride fell through.] [I'll call back to reschedule.|Can we find another day?]",
    f"Is there anything sooner than {{DATEBARE}} for a {_VISIT}? I'm on the cancellation list[ too|].",
    "I need a follow-up with {DRSAME} in [two weeks|a month|6 weeks|3 months] like [he|she|they] said. What's available?",
    "Can you move my {KIN}'s appointment from {DATEBARE} to [later that week|the following Monday|any day after {TIME}]?",
    "Please schedule my 6 month [cleaning|recall|check] for sometime in {MONTHONLY}. [Mornings are best.|After school hours please.]",
    f"Can I switch my {_VISIT} from the {{HOOD}} location to the {{HOOD}} one? Same day is fine.",
    "I'd like to book my [annual physical|well woman exam|annual wellness visit|yearly eye exam] for {MONTHONLY}. I'm free {WEEKDAY}s.",
    "Running about {NUM} minutes late for my {TIME} appt, still ok to come in?",
    "My {DATEBARE} appointment conflicts with [a work trip|my daughter's graduation|jury duty]. Can we push it to {DATEBARE}?",
    "I need to schedule a [post-op|follow up|suture removal|cast check] visit with {DRSAME}. Surgery was {DATE}.",
    "For my {TIME} appt {RELDATE} I'll be parking in the garage, my {PLATE_C}. Do I need to register it?",
    "I'll be driving my [mom's|husband's|friend's] car to the appointment, {PLATE_C}, in case the lot attendant asks.",
    "Can we do my next [infusion|allergy shot|B12 shot|therapy session] on {WEEKDAY} instead of {WEEKDAY}?",
    "Can I book back-to-back appointments for me and my {KIN}? We'd both like {DATEBARE} if possible.",
    "I got a reminder text for {DATEBARE} but I thought my appointment was {DATEBARE}. Which one is right?",
    "Please put me down for the first available [telehealth|video|phone] visit with {DRSAME}.",
    "I want to book a sick visit [today|tomorrow|this week] if there's anything open, nothing urgent just [a cough|ear pain|a sinus thing].",
    "Can I reschedule my {DATEBARE} {TIME} to {TIME}? Same day works.",
    "I need to cancel {DATEBARE} and [rebook|reschedule] for {MONTHONLY}. Sorry for the short notice!",
    "Is the {HOOD} office open on {WEEKDAY}? I'd like to schedule my [labs|blood draw|injection] there.",
    "Hi, it's time for my [3 month|6 month|yearly] check with {DRSAME}. Last visit was {DATE}. What do you have?",
    "My {RELWORD} needs to come with me to the {DATEBARE} appointment, is that ok? Also can we start at {TIME} instead?",
    "Confirming {WEEKDAY} {DATEBARE} at {TIME} for {PATIENT}. [Thanks!|See you then.|]",
    "Could I get an earlier slot? My current one is {DATEBARE} but I'm available any day {RELDATE}.",
    "I'd like to schedule the [mammogram|colonoscopy|DEXA scan|stress test] {DRSAME} ordered. Order was placed {DATE}.",
    "Please cancel all my appointments for {MONTHONLY}, I'll be out of the country in {COUNTRY}.",
    "Need to book a [cleaning|checkup] for my [son|daughter] {FNAME}, {AGEYOUNG}, [after school|on a Saturday|during winter break].",
    "Can I do my follow up as a video visit? The link last time was {URL}.",
    "The [online scheduler|booking link|app] won't let me pick a time. I want {WEEKDAY} the earliest slot with {DRSAME}.",
    "Hi! Can I come in {RELDATE} instead of {DATEBARE}? Same time if possible.",
    "I need to book my [son|daughter]'s [well child|kindergarten|sports] physical before {DATEBARE}.",
    "Got a voicemail from {STAFF} about scheduling. Returning the call, I can do any {WEEKDAY} in {MONTHONLY}.",
    "Can I add my {KIN} to my appointment slot {DATEBARE}? [He|She] needs a checkup too.",
    "Please confirm that my appointment {DATE} is with {DRSAME} and not the PA.",
    "I'd like to cancel {DATEBARE}, I'm feeling better. I'll book a routine visit later.",
    "Need an appt for a [TB test read|BP check|suture removal|blood draw] this week, 10 minutes max.",
    "Can we make my next visit a telehealth one? I'll be in {CITY} for work {DATEBARE} through {DATEBARE}.",
    "Do you have Saturday hours? I work {WEEKDAY} to {WEEKDAY} and can't get off.",
    "Just want to confirm the time for {WEEKDAY}. Is it {TIME} or {TIME}?",
]

NOTE = [
    "Pt {NOTENAME} called to resched appt from {DATEBARE} to [next wk|{DATEBARE}], any day after {TIME}. CB {PHONE}.",
    "Pt cx appt {DATEBARE} d/t [illness|work conflict|transportation]. Will call to rebook. {MRN_C}.",
    "Pt {PATIENT} confirming {WEEKDAY} {DATEBARE} {TIME} w/ {DRSAME}. Updated cell to {PHONE}.",
    "Sched req: f/u w/ {DRSAME} in 2 wks s/p [procedure|surgery] on {DATEBARE}. Offered {WEEKDAY} {TIME}, pt will confirm by text.",
    "Parking: pt {PATIENT} registered {PLATE_C} for {DATEBARE} appt.",
    "LVM for pt re: rescheduling {DATEBARE} appt. 2nd attempt. CB {PHONE}.",
    "Pt {PATIENT}, {DOB_C}, req earliest avail recall visit. Added to cx list.",
    "Pt's {RELWORD} called to move pt's appt (pt age {AGE}) to {DATEBARE}. Done.",
]

SUBJECTS = [
    "Reschedule",
    "Appointment request",
    "Cancel appointment",
    "Confirming my appointment",
    "Need to move my appt",
    "Scheduling",
    "Follow-up visit",
    "appt",
    "Booking",
    "Change of appointment",
]
