"""complaint: dissatisfaction with service, staff, communication, waits, billing treatment or outcome.

Several templates carry a clinical problem or a bill on purpose: the tie-breaker says
dissatisfaction wins over both.
"""

# One template per line keeps the prose reviewable, hence the long lines.
# ruff: noqa: E501

from __future__ import annotations

_MAD = "[This is unacceptable.|I am extremely disappointed.|Honestly this is ridiculous.|I'm very frustrated.|This is the worst experience I've had at a doctor's office.|I expected better.|Not ok.]"

CORE = [
    f"I waited [over an hour|90 minutes|two hours|45 minutes past my time] in the lobby {{DATE}} and nobody told me why. {_MAD}",
    f"The [receptionist|front desk lady|billing rep|nurse|tech|MA], {{STAFF}}, was incredibly rude to me on the phone {{RELDATE}}. {_MAD}",
    f"I've called [three|four|five|six] times about my [results|refill|referral|prior auth] and nobody has called me back. Meanwhile I still have {{SYMPTOM}}. {_MAD}",
    f"I was charged {{BILLED}} for a visit that was supposed to be covered, and when I called, {{STAFF}} hung up on me. {_MAD}",
    f"{{DRSAME}} spent maybe five minutes with me and didn't listen to anything I said. {_MAD} I want a different provider.",
    f"My car was towed from your parking lot during my appointment {{DATE}} even though I had a permit. {{PLATE_C}}. {_MAD}",
    f"You sent my bill to collections without ever sending me a statement. {{ACCOUNT_C}}. {_MAD}",
    f"My {{KIN}} was left in a wheelchair in the hallway for an hour at the {{HOOD}} office. {_MAD}",
    f"Your office gave out my information to my ex without my permission. {_MAD} I want to file a formal complaint.",
    "I rate my visit {RATING}. [The wait was terrible|The staff was dismissive|The doctor was late and rushed|Nobody washed their hands].",
    f"I got the wrong [medication|dose|vaccine] and now I have {{SYMPTOM}}. Nobody from the office has apologized. {_MAD}",
    f"Your online portal has been broken for weeks and the link {{URL}} just errors out. I can't pay or message anyone. {_MAD}",
    f"The billing office keeps [losing my insurance info|sending me bills for {{BILLED}}|billing the wrong carrier]. I've given you my {{CARRIER}} {{MEMBERID_C}} three times now. {_MAD}",
    f"I was promised a callback from {{DRSAME}} about my [biopsy|MRI|blood work] results {{RELDATE}}. Still nothing. {_MAD}",
    f"Appointment cancelled on me for the third time, the day of, with no explanation. {_MAD} I took time off work for this.",
    "I want to speak to the office manager. {STAFF} at the front desk [laughed at me|refused to help me|yelled at my mother|was on her phone the whole time].",
    f"My surgery {{DATE}} was botched and now my [knee|shoulder|back|tooth] is worse than before. {_MAD} I'm considering legal action.",
    f"Nobody told me the [lab|anesthesia|facility fee] would be separate. Surprise bill of {{BILLED}}. {_MAD}",
    f"The hold time was [47 minutes|over an hour|30 minutes] and then the call dropped. {_MAD}",
    f"The hygienist was rough and my gums bled for days. When I mentioned it, {{STAFF}} just shrugged. {_MAD}",
    f"I asked for an interpreter for my {{KIN}} and you didn't have one. [He|She] didn't understand anything. {_MAD}",
    f"Still dealing with {{SYMPTOM}} after {{NUM}} visits and no one seems to care. {_MAD} Please have someone senior contact me.",
    f"You posted my photo from the clinic event ({{PHOTO}}) on Facebook without asking. {_MAD} Take it down.",
    f"Your staff keeps mispronouncing and misspelling my name in my chart and on every letter. It's {{PATIENT}}. {_MAD}",
    f"I was double charged on my {{CARD}} and the refund still hasn't come after [three weeks|a month]. {_MAD}",
    f"The new check-in kiosk scanned my fingerprint without asking if I consented. Delete my record, {{BIO_C}}. {_MAD}",
    f"I'm {{AGE}} years old and was made to stand for 40 minutes because the waiting room was full. {_MAD}",
    f"The {{HOOD}} location is filthy, the bathroom hadn't been cleaned and the exam room had used gloves on the floor. {_MAD}",
    f"My prescription was sent to the wrong pharmacy twice. I went {{NUM}} days without my {{DRUG}}. {_MAD}",
    f"Writing to complain about {{DR}}. [He|She] was condescending and dismissed my concerns about {{SYMPTOM}}. {_MAD}",
    f"Giving this office {{RATING}}. Lost my referral, lost my records, and now I'm paying {{BILLED}} out of pocket. {_MAD}",
    "Third time I've been put on hold for over 30 minutes. Your phone system is a disgrace.",
    "I was told my results would be posted in two days. It's been {NUM} weeks. Nobody is accountable.",
    "I'm really unhappy with how {STAFF} handled my {KIN}'s appointment. [She|He] was dismissive and rushed us out.",
    "You sent me a bill for {BILLED} after I was told the visit was free. When I called, nobody could explain it. I want this fixed and an apology.",
    "The doctor never showed up to my telehealth visit {DATE}. I waited 40 minutes on the link {URL}. Very unprofessional.",
    "I've been your patient since {YEAR} and this is the first time I've felt disrespected. {DRSAME} rolled [his|her] eyes at me.",
    "Your reminder texts keep going to my old number. I've updated it three times to {PHONE}. Fix it please, this is getting old.",
    "My {KIN} waited in the car outside your {HOOD} office for an hour because nobody told us the doctor was running late.",
    "Nobody told me the MRI machine was down until I got there. I drove from {CITY} for nothing.",
    "The care I received for {SYMPTOM} was poor and I had to go to the ER {DATE}. I'm filing a complaint.",
]

NOTE = [
    "Pt {NOTENAME} called upset re: wait time {DATEBARE} ([70|90|120] min). Requests call from office mgr. CB {PHONE}.",
    "COMPLAINT: pt states {STAFF} (front desk) was rude on phone. Escalated to practice mgr {STAFF}.",
    "Pt very upset, billed {BILLED} for visit pt states was covered by {CARRIER}. Threatening to leave practice. {ACCOUNT_C}.",
    "Pt c/o no callback x3 re: results; still symptomatic ({SYMPTOM}). Pt angry. Msg to {DRSAME} STAT.",
    "Grievance filed by pt's {RELWORD} re: care of pt (age {AGE90}) at {HOOD} office. Pt {PATIENT}, {DOB_C}.",
    "Pt's vehicle ({PLATE_C}) towed from lot during appt {DATEBARE}. Pt demands reimbursement.",
]

SUBJECTS = [
    "Complaint",
    "Very disappointed",
    "Terrible experience",
    "Formal complaint",
    "Unacceptable service",
    "Rude staff",
    "Wait time",
    "Billing nightmare",
    "Still waiting",
    "Feedback on my visit",
]
