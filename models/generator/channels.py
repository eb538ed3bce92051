"""Channel layouts: the same sentences become an SMS, an email, a form, a voicemail, a chat or a staff note."""

from __future__ import annotations

from collections.abc import Callable

from .builder import Builder, Ctx, Frag, Style, lit, pick, render
from .templates import BY_INTENT, shared

Sentences = list[list[Frag]]


def _body(b: Builder, sents: Sentences, sep: str = " ") -> None:
    for i, s in enumerate(sents):
        if i:
            b.raw(sep)
        b.add(s)


def _polished(b: Builder, frags: list[Frag]) -> None:
    """Text from the practice side (agent replies, quoted staff mail) is typed carefully."""
    keep = b.style
    b.style = Style()
    b.add(frags)
    b.style = keep


def sms(ctx: Ctx, b: Builder, sents: Sentences) -> None:
    r = ctx.rng
    if r.random() < 0.3:
        b.add(render(r.choice(["hi ", "hey ", "Hi, ", "hello ", "hi! ", "good morning, ", "Hola, ", "buenas, "]), ctx))
    _body(b, sents[:4])
    x = r.random()
    if x < 0.15:
        b.add(render(" - {PFIRST}", ctx))
    elif x < 0.3:
        b.add(
            render(r.choice([" thx", " thanks!", " ty", " pls call back", " thank u", " gracias", " mi número es {PHONE}"]), ctx)
        )


def portal(ctx: Ctx, b: Builder, sents: Sentences) -> None:
    r = ctx.rng
    mod = BY_INTENT[ctx.intent]
    if r.random() < 0.3:
        b.raw(r.choice(("Subject: ", "Re: ", "RE: ", "Message subject: ")))
        b.add(pick(ctx, mod.SUBJECTS))
        b.raw("\n\n")
    if r.random() < 0.5:
        b.add(pick(ctx, ["Hi {DRSAME}", "Hello", "Hi", "Dear {DR}", "Good morning", "Hi {STAFF}", "Hello Nurse {FNAME}"]))
        b.raw(r.choice((",\n", ", ", ",\n\n", " - ")))
    _body(b, sents, r.choice((" ", " ", "\n")))
    x = r.random()
    if x < 0.35:
        b.raw(r.choice(("\n", "\n\n", " ")))
        b.add(
            render(
                r.choice(["Thanks, {SIGN}", "Thank you, {SIGN}", "- {SIGN}", "{SIGN}", "Thanks!\n{SIGN}", "Regards,\n{SIGN}"]),
                ctx,
            )
        )
    elif x < 0.55:
        b.add(render(r.choice([" Thanks!", " Thank you.", " Thanks"]), ctx))


def email(ctx: Ctx, b: Builder, sents: Sentences) -> None:
    r = ctx.rng
    mod = BY_INTENT[ctx.intent]
    b.raw(r.choice(("Subject: ", "Subject: ", "SUBJECT: ", "Subj: ")))
    b.add(pick(ctx, mod.SUBJECTS))
    if r.random() < 0.15:
        b.add(render(r.choice([" - {PATIENT}", " for {PATIENT}", " ({DOB_C})", " - {MRN_C}"]), ctx))
    b.raw("\n\n")
    if r.random() < 0.85:
        b.add(pick(ctx, shared.GREETING))
        b.raw(",\n\n")
    paras: list[Sentences] = []
    for s in sents:
        if not paras or (len(paras[-1]) >= 2 and r.random() < 0.5):
            paras.append([])
        paras[-1].append(s)
    for i, p in enumerate(paras):
        if i:
            b.raw("\n\n")
        _body(b, p)
    b.raw("\n\n")
    b.add(pick(ctx, shared.CLOSING))
    b.raw(r.choice((",\n", "\n", ",\n\n")))
    b.add(render("{SIGN}", ctx))
    for line in ("{PHONE}", "{EMAIL}", "{ADDRESS}"):
        if r.random() < 0.3:
            b.raw("\n")
            b.add(render(r.choice([line, "Cell: " + line, "p. " + line]) if line == "{PHONE}" else line, ctx))
    if r.random() < 0.1:
        b.raw("\n\n")
        b.add(
            [
                lit(
                    r.choice(
                        ("Sent from my iPhone", "Sent from my Galaxy", "Sent from Yahoo Mail for Android", "Get Outlook for iOS")
                    )
                )
            ]
        )
    if ctx.flags.get("long"):
        quoted_history(ctx, b)


_STAFF_REPLIES = [
    "Thank you for reaching out. We have received your message and a member of our team will respond within 2 business days.",
    "Hi {PFIRST}, thanks for your message. I've forwarded this to {DRSAME}'s care team. Please allow 24-48 hours for a reply.",
    "Good afternoon, we were unable to locate the account with the information provided. "
    "Could you please confirm your date of birth and the {ACCOUNT_C}?",
    "Hello, this is {STAFF} from the {ROLE}. I left a voicemail at {PHONE} on {DATEBARE}. "
    "Please call us back at your convenience.",
    "Thanks for your patience. Our office hours are Monday to Friday, 8am to 5pm. For urgent matters please call the nurse line.",
    "Hi, we received the documents ({PHOTO}). We still need a copy of the back of your insurance card.",
    "We have updated your file. If anything else changes, please let us know. Your reference number is {STATEMENT}.",
]
_DISCLAIMER = (
    "CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for the sole use of the intended "
    "recipient(s) and may contain confidential and privileged information. Any unauthorized review, use, disclosure "
    "or distribution is prohibited. If you are not the intended recipient, please contact the sender by reply e-mail "
    "and destroy all copies of the original message."
)


def quoted_history(ctx: Ctx, b: Builder) -> None:
    """Long emails: earlier replies quoted below, with identifiers repeated near the end."""
    r = ctx.rng
    mod = BY_INTENT[ctx.intent]
    target = r.randint(1500, 3800)
    rounds = 0
    while b.pos < target and rounds < 8:
        rounds += 1
        b.raw("\n\n")
        staff_turn = rounds % 2 == 1
        b.add([lit(r.choice(("-----Original Message-----\n", "On ", "________________________________\n", "On ")))])
        b.add(render("[{WEEKDAY}, |]{DATEBARE}[ at {TIME}|]", ctx))
        if staff_turn:
            b.add(render(", {STAFF} <{EMAIL2}> wrote:\n", ctx))
            body = [render(r.choice(_STAFF_REPLIES), ctx)]
        else:
            b.add(render(", {PATIENT} <{EMAIL}> wrote:\n", ctx))
            body = [pick(ctx, mod.CORE)] + [pick(ctx, shared.EXTRA[r.choice(list(shared.EXTRA))]) for _ in range(r.randint(1, 3))]
        for s in body:
            b.raw("> ")
            if staff_turn:
                _polished(b, s)
            else:
                b.add(s)
            b.raw("\n>\n")
        if staff_turn and r.random() < 0.5:
            b.raw("> ")
            _polished(b, [lit(_DISCLAIMER)])
            b.raw("\n")
        if b.pos > 3600:
            break


_FORM_TITLES = {
    "new_patient_inquiry": ["New Patient Request", "Become a Patient", "New Patient Registration", "Online Intake", "Contact Us"],
    "existing_patient_question": ["Patient Message", "Ask a Question", "Contact Us", "Records Request Form", "General Inquiry"],
    "appointment_request": ["Appointment Request Form", "Request an Appointment", "Online Scheduling", "Reschedule Request"],
    "billing_inquiry": ["Billing Question", "Billing Inquiry Form", "Pay My Bill - Question", "Insurance Update Form"],
    "clinical_concern": ["Patient Message", "Nurse Advice Request", "Symptom Report", "Ask the Care Team", "Contact Us"],
    "complaint": ["Feedback Form", "Patient Concern Form", "Share Your Experience", "Grievance Form", "Contact Us"],
    "price_shopper": ["Request a Quote", "Price Estimate Request", "Cost Estimate", "Self-Pay Pricing Inquiry", "Contact Us"],
}


def web_form(ctx: Ctx, b: Builder, sents: Sentences) -> None:
    r = ctx.rng
    title = r.choice(_FORM_TITLES[ctx.intent])
    b.raw(title)
    if r.random() < 0.4:
        b.raw(" - ")
        b.add(render("{PRACTICE}", ctx))
    b.raw("\n")
    fields: list[tuple[str, str]] = [
        (r.choice(("Name", "Full Name", "Patient Name", "Name", "First/Last Name")), "{PATIENT}"),
        (r.choice(("DOB", "Date of Birth", "Birthdate", "DOB")), "{DOB}"),
        (r.choice(("Phone", "Phone", "Best Phone", "Mobile", "Phone Number")), "{PHONE}"),
        (r.choice(("Email", "E-mail", "Email Address")), "{EMAIL}"),
        (r.choice(("Address", "Home Address", "Mailing Address")), "{ADDRESS}"),
        (r.choice(("ZIP", "Zip Code")), "{ZIP}"),
        (
            r.choice(("Insurance", "Insurance Provider", "Insurance Carrier", "Insurance")),
            r.choice(
                (
                    "{CARRIER}",
                    "{CARRIER} {PLANTYPE}",
                    "{CARRIER} {PLANTYPE}, {MEMBERID_C}",
                    "{CARRIER} / {MEMBERID}",
                    "{CARRIER}, {MEMBERID_C}, {GROUPNO_C}",
                    "None / self-pay",
                    "{CARRIER} {PLANTYPE}, subscriber {SUBSCRIBER} ({REL})",
                )
            ),
        ),
        (r.choice(("Member ID", "Insurance ID", "Subscriber ID", "Policy #")), "{MEMBERID}"),
        (r.choice(("Group #", "Group Number")), "{GROUPNO}"),
        (r.choice(("Patient ID", "MRN (if known)", "Chart #")), "{MRN}"),
        (r.choice(("Preferred Date", "Requested Date", "Preferred Day")), "[{DATEBARE}|{WEEKDAY} {DATEBARE}|any {WEEKDAY}]"),
        (r.choice(("Preferred Contact", "Contact Method")), "[Phone|Email|Text|{EMAIL} / {PHONE}]"),
        (r.choice(("Parent/Guardian", "Guardian Name", "Responsible Party")), "{PERSON}[ ({RELWORD})|]"),
        (
            r.choice(("Service", "Service Requested", "Visit Type")),
            "[{PROC}|New patient visit|Follow-up|Consultation|{PROC} + consult]",
        ),
        (r.choice(("Referring Provider", "Referred By")), "[{DR}|Self|{PRACTICE}|{DR}, fax {FAX}]"),
        (r.choice(("Account #", "Account Number", "Statement #")), "{ACCOUNT}"),
        (r.choice(("Age", "Patient Age")), "{AGE}"),
        (r.choice(("Preferred Location", "Location", "Office")), "[{HOOD}|{CITY}|No preference]"),
    ]
    density = r.uniform(0.2, 0.55)
    keep = [fields[0]] + [f for f in fields[1:] if r.random() < density]
    for label, tmpl in keep:
        if label.startswith(("Member ID", "Insurance ID", "Subscriber ID", "Policy #", "Group")) and "CARRIER" not in ctx.memo:
            continue
        b.raw(label + ": ")
        b.add(render(tmpl, ctx))
        b.raw("\n")
    b.raw(
        r.choice(("Comments", "Message", "Question", "Reason for Visit", "Details", "How can we help?", "Comments/Questions"))
        + ": "
    )
    _body(b, [s for s in sents if s])
    b.raw("\n")
    if r.random() < 0.2:
        b.raw("Submitted: ")
        b.add(render("{DATEBARE} {TIME}", ctx))
        b.raw("\n")
    if r.random() < 0.75:
        b.raw(r.choice(("IP: ", "IP Address: ", "Submitted from IP: ", "Remote IP: ", "ip=")))
        b.add(render("{IP}", ctx))
    text_end = b.text()
    if text_end.endswith("\n"):
        b.parts[-1] = b.parts[-1][:-1]
        b.pos -= 1


_FILLERS = ["um, ", "uh, ", "so, ", "um ", "uh ", "yeah, ", "you know, ", "okay so ", "and um, ", "", "", "", ""]


def voicemail(ctx: Ctx, b: Builder, sents: Sentences) -> None:
    r = ctx.rng
    x = r.random()
    if x < 0.15:
        b.raw(r.choice(("Voicemail transcript: ", "[Voicemail] ", "Transcription: ", "VM: ", "Voicemail (auto-transcribed): ")))
    elif x < 0.25:
        b.add(render("[Voicemail from|VM from|Message from] {PHONE2}[, 0:[3|4|5][0-9]|]: ", ctx))
    b.add(
        render(
            r.choice(["Hi, ", "Hi, um, ", "Hello, ", "Yes hi, ", "Hey, ", "Good morning, ", "Hi there, ", "Hello, yes, "]), ctx
        )
    )
    if "PATIENT" not in ctx.memo and r.random() < 0.7:
        b.add(
            render(
                r.choice(
                    [
                        "this is {PATIENT}, ",
                        "my name is {PATIENT}, ",
                        "it's {PATIENT} calling, ",
                        "this is {PATIENT} calling about my [mom|dad|son|daughter], ",
                    ]
                ),
                ctx,
            )
        )
    for i, s in enumerate(sents):
        if i:
            b.raw(" ")
        f = r.choice(_FILLERS)
        if f and i:
            b.add([lit(f.capitalize() if r.random() < 0.5 else f)])
        b.add(s)
    b.raw(" ")
    b.add(
        render(
            r.choice(
                [
                    "Thanks, bye.",
                    "Thank you, bye bye.",
                    "Please call me back. Thanks.",
                    "Okay, thanks.",
                    "Thank you.",
                    "Again it's {PHONE}. Thanks.",
                    "Bye.",
                    "Thanks so much, have a good day.",
                    "Call me back at {PHONE}, thank you.",
                ]
            ),
            ctx,
        )
    )


_SPEAKERS = [
    ("Patient", "Agent"),
    ("Visitor", "Agent"),
    ("Patient", "Rep"),
    ("Me", "Support"),
    ("Customer", "Agent"),
    ("You", "Front Desk"),
    ("Patient", "Bot"),
    ("Guest", "Staff"),
    ("User", "Assistant"),
]
_AGENT_OPEN = [
    "Hi! Thanks for reaching out. Can I get your name and date of birth?",
    "Hello, this is {STAFF}. How can I help you today?",
    "Sure, I can help with that. What's the patient's full name and DOB?",
    "Thanks for contacting us! Can you verify your date of birth?",
    "Hi there! I'd be happy to help. Could you share a few more details?",
    "Good morning! Can I have your name please?",
]
_AGENT_ACK = [
    "Thanks. One moment while I look that up.",
    "Got it.",
    "Okay, let me check on that for you.",
    "Thank you!",
    "I see. Anything else I should know?",
    "Thanks for the info.",
    "Let me pull that up.",
    "Understood.",
    "Can you tell me a bit more?",
    "And the best number to reach you?",
    "Could I also get your insurance info?",
]
_AGENT_BILLING = [
    "I see a {BILLED} balance on the account from {DATEBARE}.",
    "It looks like {CARRIER} paid part and {BILLED} was left to you.",
    "The claim shows as denied, {CLAIM_C}. I can resubmit it.",
    "I found the statement, balance is {BILLED}.",
    "I have your copay listed as {COPAY}. Is that right?",
]
_AGENT_VERIFY = [
    "I have your phone as {PHONE}, is that still correct?",
    "Is {EMAIL} still the best email?",
    "I see {ADDRESS} on file, is that current?",
    "Thanks {PFIRST}, I found your chart.",
    "Okay, I have you down with {DRSAME} on {DATEBARE} at {TIME}.",
]
_AGENT_CLOSE = [
    "Thanks! I've passed this along to the team, someone will follow up shortly.",
    "You're all set. Have a great day!",
    "I've sent a message to {DRSAME}'s team. You should hear back within one business day.",
    "Great, I've updated that for you.",
    "Okay, I've noted everything. Anything else?",
    "Thanks, I'll have the billing team call you back at {PHONE}.",
]


def chat(ctx: Ctx, b: Builder, sents: Sentences) -> None:
    r = ctx.rng
    pat, agent = r.choice(_SPEAKERS)
    stamp = r.random() < 0.2

    def turn(who: str, frags: list[Frag], polished: bool) -> None:
        if b.pos:
            b.raw("\n")
        if stamp:
            b.raw(f"[{r.randint(8, 17)}:{r.randint(0, 59):02d}] ")
        b.raw(who + ": ")
        if polished:
            _polished(b, frags)
        else:
            b.add(frags)

    rest = list(sents)
    first = rest.pop(0) if rest else []
    if r.random() < 0.3:
        turn(
            agent,
            render(
                r.choice(
                    ["Hi! How can I help you today?", "Welcome! What can I do for you?", "Hello, you're chatting with {STAFF}."]
                ),
                ctx,
            ),
            True,
        )
    turn(pat, render(r.choice(["hi ", "Hi, ", "Hello, ", "", "hey "]), ctx) + first, False)
    if rest or r.random() < 0.6:
        turn(agent, render(r.choice(_AGENT_OPEN), ctx), True)
        if r.random() < 0.7:
            turn(
                pat,
                render(
                    r.choice(
                        ["{PATIENT}, {DOB}", "{PATIENT} {DOB}", "it's {PATIENT}, dob {DOB}", "{PATIENT}", "{PFIRST}, {DOB}"]
                    ),
                    ctx,
                ),
                False,
            )
    for s in rest:
        turn(pat, s, False)
        x = r.random()
        if x < 0.3:
            turn(agent, render(r.choice(_AGENT_ACK), ctx), True)
        elif x < 0.45:
            turn(agent, render(r.choice(_AGENT_VERIFY), ctx), True)
        elif x < 0.6 and ctx.intent in ("billing_inquiry", "complaint"):
            turn(agent, render(r.choice(_AGENT_BILLING), ctx), True)
    turn(agent, render(r.choice(_AGENT_CLOSE), ctx), True)
    if r.random() < 0.4:
        turn(
            pat,
            render(r.choice(["thank you!", "thanks", "ok thx", "Thank you so much.", "great thanks", "no that's it"]), ctx),
            False,
        )


_NOTE_PREFIX = [
    "NTE|1|P|",
    "NTE|1||",
    "NTE|1|L|",
    "OBX|1|TX|NOTE^Phone Note||",
    "",
    "",
    "Phone note: ",
    "TE: ",
    "Front desk: ",
    "Tel. encounter - ",
    "Staff note: ",
    "Call log: ",
    "Message taken {TIME}: ",
    "PHONE MSG: ",
]
_NOTE_EXTRA = [
    "CB {PHONE}.",
    "{INSNOTE}",
    "LVM.",
    "Routed to {ROLE}.",
    "Pt verified {DOB_C}.",
    "{MRN_C}.",
    "Alt ph {PHONE2}.",
    "Email on file {EMAIL}.",
    "Addr verified: {ADDRESS}.",
    "Pt age {AGE}.",
    "Per pt, {KIN} may be contacted.",
    "Pt prefers {HOOD} office.",
    "See attached {PHOTO}.",
    "Last seen {DATEBARE}.",
    "Fax to {FAX}.",
    "Pt SSN last 4 {SSN4}.",
    "DL on file {DL}.",
    "Device {SERIAL_C}.",
    "Biometric {BIO_C} on file.",
]
_NOTE_SIGN = [" -- entered by {INITIALS}", " /{INITIALS}", " ~{STAFF}", " - {STAFF}, {ROLE}", "", "", " (taken by {STAFF})"]


def hl7_note(ctx: Ctx, b: Builder, sents: Sentences) -> None:
    """Staff notes are written from scratch in third person; ``sents`` is ignored on purpose."""
    r = ctx.rng
    mod = BY_INTENT[ctx.intent]
    prefix = r.choice(_NOTE_PREFIX)
    b.add(render(prefix, ctx) if "{" in prefix else [])
    if "{" not in prefix:
        b.raw(prefix)
    b.add(pick(ctx, mod.NOTE))
    for _ in range(r.choice((0, 1, 1, 2, 3))):
        b.raw(" ")
        b.add(pick(ctx, _NOTE_EXTRA))
    if r.random() < 0.15 and prefix.startswith("NTE"):
        b.raw("\nNTE|2|P|")
        b.add(pick(ctx, _NOTE_EXTRA))
    b.add(pick(ctx, _NOTE_SIGN))


RENDER: dict[str, Callable[[Ctx, Builder, Sentences], None]] = {
    "sms": sms,
    "email": email,
    "portal": portal,
    "web_form": web_form,
    "voicemail": voicemail,
    "chat": chat,
    "hl7_note": hl7_note,
}
