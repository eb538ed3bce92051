"""Word pools: people, places, payers, practices and clinical vocabulary (all invented or generic)."""

from __future__ import annotations


def _w(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(",") if x.strip())


FIRST = _w(
    """
    Adaeze, Chiamaka, Obinna, Tunde, Folake, Kwame, Abena, Kofi, Ama, Yaw, Zanele, Thabo, Lindiwe, Sipho,
    Amina, Fatima, Yusuf, Omar, Layla, Khalid, Noor, Hassan, Samira, Tariq, Rania, Ibrahim, Aisha, Bilal,
    Wei, Mei, Jun, Xiaoling, Hao, Yan, Lian, Zhen, Hiroshi, Yuki, Haruto, Sakura, Aiko, Takeshi, Ren, Emi,
    Min-jun, Seo-yeon, Ji-ho, Hye-jin, Dong-hyun, Soo-ah, Nguyen Anh, Thanh, Linh, Minh, Bao, Quynh, Duc,
    Priya, Arjun, Ananya, Rohan, Kavya, Vikram, Deepa, Sanjay, Lakshmi, Rahul, Meera, Aditya, Nisha, Ravi,
    José, María, Guadalupe, Alejandro, Lucía, Sofía, Mateo, Valentina, Santiago, Camila, Diego, Ximena,
    Joaquín, Inés, Renata, Héctor, Rocío, Esteban, Marisol, Yesenia, Maribel, Jesús, Andrés, Paola,
    João, Thiago, Beatriz, Gonçalo, Luana, Rafaela, Caio, Fernanda,
    Søren, Astrid, Björn, Ingrid, Lars, Freja, Mats, Sigrid, Henrik, Annika, Jörg, Jürgen, Lena, Matthias,
    Zoë, Chloé, Léa, Amélie, Étienne, Benoît, Hélène, Mathéo, Renée, Noémie,
    Giulia, Lorenzo, Francesca, Matteo, Chiara, Alessandro, Rosaria, Vincenzo,
    Dmitri, Anastasia, Olga, Sergei, Natalia, Yuri, Katya, Oksana, Bohdan, Mykola, Zofia, Wojciech, Agnieszka,
    Katarzyna, Tomasz, Milena, Dragan, Jelena, Nikola, Ivana, Goran, Petra, Ondřej, Zuzana,
    Aroha, Tane, Keoni, Leilani, Kalani, Malia, Sione, Losa,
    Siobhan, Niamh, Ciarán, Aoife, Declan, Saoirse, Eamon, Bríd,
    James, Mary, Robert, Patricia, Michael, Jennifer, William, Linda, David, Elizabeth, Richard, Barbara,
    Joseph, Susan, Thomas, Jessica, Charles, Sarah, Christopher, Karen, Daniel, Nancy, Matthew, Lisa,
    Anthony, Betty, Mark, Margaret, Donald, Sandra, Steven, Ashley, Paul, Kimberly, Andrew, Emily,
    Joshua, Donna, Kenneth, Michelle, Kevin, Carol, Brian, Amanda, George, Dorothy, Timothy, Melissa,
    Ronald, Deborah, Jason, Stephanie, Edward, Rebecca, Jeffrey, Sharon, Ryan, Laura, Jacob, Cynthia,
    Gary, Kathleen, Nicholas, Amy, Eric, Angela, Jonathan, Shirley, Stephen, Anna, Larry, Brenda,
    Justin, Pamela, Scott, Emma, Brandon, Nicole, Benjamin, Helen, Samuel, Samantha, Gregory, Katherine,
    Tyrone, Shaniqua, DeShawn, Imani, Jamal, Latoya, Darnell, Keisha, Marquis, Aaliyah, Terrence, Ebony,
    Jaylen, Destiny, Kendrick, Tamika, Malik, Jasmine, Andre, Precious,
    Brayden, Kaylee, Hunter, Madison, Colton, Brooklyn, Tucker, Harper, Wyatt, Paisley, Cody, Raelynn,
    Esther, Mordechai, Yael, Avi, Miriam, Shlomo, Tova, Eliana,
    Mehmet, Elif, Emre, Zeynep, Burak, Ayşe, Cem, Selin, Arash, Shirin, Dariush, Parisa, Navid, Leila,
    Ana Sofía, Mary Beth, Jo Ellen, Juan Carlos, Luis Miguel, Anne-Marie, Jean-Luc, Mary Kate, Billy Ray,
    Peggy Sue, Li Na, Xiao Ming, Maria José, Ana Lucía,
    Bea, Bubba, Dot, Gus, Mo, Tess, Kit, Red, Sunny, Junior, Birdie, Buck, Lulu, Bobbie, Sal, Vinnie
    """
)

NICK = _w(
    """
    Bill, Bob, Liz, Beth, Kathy, Jim, Jimmy, Mike, Tony, Chris, Dan, Danny, Matt, Steve, Jen, Jess, Sam,
    Pat, Ted, Alex, Nick, Ben, Greg, Ken, Andy, Josh, Meg, Maggie, Sue, Suzy, Becky, Barb, Deb, Cindy,
    Lupe, Pepe, Paco, Chuy, Nacho, Lalo, Kiki, Gabi, Sasha, Misha, Kolya, Nadia, Vika, Tomek, Kasia
    """
)

LAST = _w(
    """
    Okonkwo, Adeyemi, Nwosu, Eze, Mensah, Owusu, Boateng, Asante, Dlamini, Ndlovu, Khumalo, Mokoena,
    Abubakar, Bello, Haddad, Khoury, Nasser, Farouk, Al-Amin, El-Sayed, Mansour, Qureshi, Siddiqui,
    Chen, Wang, Li, Zhang, Liu, Huang, Zhou, Lin, Tanaka, Suzuki, Watanabe, Yamamoto, Nakamura, Kobayashi,
    Kim, Park, Choi, Jung, Kang, Yoon, Lim, Han, Nguyen, Tran, Le, Pham, Hoang, Vu, Dang, Bui, Do,
    Patel, Shah, Sharma, Gupta, Reddy, Iyer, Nair, Menon, Rao, Chatterjee, Banerjee, Desai, Kapoor, Joshi,
    García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez, Torres, Flores,
    Rivera, Gómez, Díaz, Morales, Reyes, Cruz, Ortiz, Gutiérrez, Chávez, Ramos, Ruiz, Mendoza, Castillo,
    Jiménez, Vásquez, Núñez, Peña, Ibáñez, Muñoz, Santiago, Delgado, Aguilar, Vega, Salazar, Cortés,
    Silva, Santos, Oliveira, Souza, Costa, Pereira, Almeida, Carvalho, Gonçalves, Araújo,
    Andersen, Johansson, Lindqvist, Nyström, Bergström, Sørensen, Haugen, Dahl, Müller, Schröder, Köhler,
    Weiß, Fischer, Becker, Hoffmann, Dubois, Lefèvre, Moreau, Girard, Fontaine, Leroux, Beaulieu, Côté,
    Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco,
    Ivanov, Petrov, Smirnov, Volkova, Kuznetsov, Popescu, Kowalski, Nowak, Wiśniewska, Wójcik, Zieliński,
    Novák, Dvořák, Horváth, Nagy, Kovačević, Petrović, Jovanović, Babić,
    Kahananui, Kealoha, Fifita, Tupou, Faleolo, Ngata, Parata,
    O'Brien, O'Connor, McCarthy, Murphy, Kelly, Sullivan, Walsh, Byrne, Ó Súilleabháin, MacLeod,
    Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, Thomas, Moore,
    Jackson, Martin, Lee, Thompson, White, Harris, Clark, Lewis, Robinson, Walker, Young, Allen, King,
    Wright, Scott, Hill, Green, Adams, Baker, Nelson, Carter, Mitchell, Roberts, Turner, Phillips,
    Campbell, Parker, Evans, Edwards, Collins, Stewart, Morris, Rogers, Reed, Cook, Morgan, Bell,
    Washington, Jefferson, Freeman, Banks, Booker, Coleman, Mayfield, Holloway, Whitfield, Pettaway,
    Yazzie, Begay, Tsosie, Benally, Runningwater, Two Bears, Redcloud,
    Cohen, Levy, Friedman, Goldberg, Katz, Shapiro, Rosen, Weinstein, Abramovich,
    Yılmaz, Demir, Şahin, Çelik, Öztürk, Karimi, Hosseini, Rahimi, Tehrani, Moradi,
    van der Berg, de Vries, van Dijk, De La Cruz, Del Rosario, St. Clair, Van Buren, da Silva, dos Santos,
    Smith-Jones, García-López, Nguyen-Tran, Okafor-Bell, Martínez-Ruiz, Lopez-Hart, Kim-Sato,
    Hughes-Ibekwe, Walsh-Moreno, Patel-Graham, Rivera-Chen, Becker-Nakamura, Mensah-Lindgren
    """
)

STREET_NAMES = _w(
    """
    Maple, Oak, Cedar, Pine, Elm, Willow, Birch, Chestnut, Magnolia, Juniper, Sycamore, Aspen, Hawthorn,
    Main, Church, Mill, River, Lake, Hill, Park, Spring, Ridge, Valley, Meadow, Sunset, Highland, Orchard,
    Washington, Lincoln, Jefferson, Franklin, Madison, Monroe, Jackson, Grant, Adams, Harrison,
    Martin Luther King Jr, Cesar Chavez, Kamehameha, Bayshore, Peachtree, Wolf Creek, Old Mill, Quail Run,
    Foxglove, Larkspur, Heron, Bluebonnet, Saguaro, Mesquite, Prairie View, Timberline, Harbor, Pelican
    """
)
STREET_TYPES = _w("St, Street, Ave, Avenue, Rd, Road, Ln, Lane, Dr, Drive, Blvd, Ct, Court, Way, Pl, Ter, Cir, Pkwy, Hwy")
UNITS = _w("Apt 4B, Apt 12, Unit 3, #210, Apt. 7C, Suite 100, Unit B, Apt 1502, Lot 44, Bldg 2 Apt 9, Apt 3R")

# (city, state abbreviation, ZIP prefix): ZIPs are made up inside plausible ranges.
CITIES = (
    ("Springfield", "IL", "627"),
    ("Dayton", "OH", "454"),
    ("Tucson", "AZ", "857"),
    ("Boise", "ID", "837"),
    ("Fresno", "CA", "937"),
    ("Oakland", "CA", "946"),
    ("San Antonio", "TX", "782"),
    ("El Paso", "TX", "799"),
    ("Lubbock", "TX", "794"),
    ("Tulsa", "OK", "741"),
    ("Wichita", "KS", "672"),
    ("Omaha", "NE", "681"),
    ("Des Moines", "IA", "503"),
    ("Duluth", "MN", "558"),
    ("Green Bay", "WI", "543"),
    ("Ann Arbor", "MI", "481"),
    ("Toledo", "OH", "436"),
    ("Erie", "PA", "165"),
    ("Scranton", "PA", "185"),
    ("Albany", "NY", "122"),
    ("Yonkers", "NY", "107"),
    ("Newark", "NJ", "071"),
    ("Hartford", "CT", "061"),
    ("Worcester", "MA", "016"),
    ("Lowell", "MA", "018"),
    ("Providence", "RI", "029"),
    ("Burlington", "VT", "054"),
    ("Bangor", "ME", "044"),
    ("Richmond", "VA", "232"),
    ("Norfolk", "VA", "235"),
    ("Durham", "NC", "277"),
    ("Asheville", "NC", "288"),
    ("Savannah", "GA", "314"),
    ("Macon", "GA", "312"),
    ("Tallahassee", "FL", "323"),
    ("Tampa", "FL", "336"),
    ("Hialeah", "FL", "330"),
    ("Mobile", "AL", "366"),
    ("Jackson", "MS", "392"),
    ("Shreveport", "LA", "711"),
    ("Baton Rouge", "LA", "708"),
    ("Little Rock", "AR", "722"),
    ("Memphis", "TN", "381"),
    ("Knoxville", "TN", "379"),
    ("Louisville", "KY", "402"),
    ("Lexington", "KY", "405"),
    ("Gary", "IN", "464"),
    ("Fort Wayne", "IN", "468"),
    ("Peoria", "IL", "616"),
    ("Rockford", "IL", "611"),
    ("St. Louis", "MO", "631"),
    ("Kansas City", "MO", "641"),
    ("Sioux Falls", "SD", "571"),
    ("Fargo", "ND", "581"),
    ("Billings", "MT", "591"),
    ("Cheyenne", "WY", "820"),
    ("Pueblo", "CO", "810"),
    ("Aurora", "CO", "800"),
    ("Provo", "UT", "846"),
    ("Reno", "NV", "895"),
    ("Henderson", "NV", "890"),
    ("Santa Fe", "NM", "875"),
    ("Las Cruces", "NM", "880"),
    ("Spokane", "WA", "992"),
    ("Tacoma", "WA", "984"),
    ("Eugene", "OR", "974"),
    ("Salem", "OR", "973"),
    ("Anchorage", "AK", "995"),
    ("Hilo", "HI", "967"),
    ("Kailua", "HI", "967"),
    ("Chula Vista", "CA", "919"),
    ("Bakersfield", "CA", "933"),
    ("Stockton", "CA", "952"),
    ("Modesto", "CA", "953"),
    ("Laredo", "TX", "780"),
    ("McAllen", "TX", "785"),
    ("Waco", "TX", "767"),
    ("Round Rock", "TX", "786"),
    ("Cedar Rapids", "IA", "524"),
    ("Kalamazoo", "MI", "490"),
    ("Flint", "MI", "485"),
    ("Akron", "OH", "443"),
    ("Allentown", "PA", "181"),
    ("Paterson", "NJ", "075"),
    ("New Haven", "CT", "065"),
    ("Nashua", "NH", "030"),
    ("Wilmington", "DE", "198"),
    ("Silver Spring", "MD", "209"),
    ("Baltimore", "MD", "212"),
    ("Columbia", "SC", "292"),
    ("Charleston", "WV", "253"),
    ("Huntsville", "AL", "358"),
    ("Gainesville", "FL", "326"),
    ("Ocala", "FL", "344"),
    ("Athens", "GA", "306"),
    ("Chattanooga", "TN", "374"),
)
STATE_NAMES = _w(
    """
    Texas, Ohio, California, Florida, New York, Georgia, Illinois, Michigan, Arizona, Oregon, Iowa, Maine,
    Colorado, Tennessee, Kentucky, Louisiana, Nevada, Utah, Virginia, Minnesota, Wisconsin, Alabama, Idaho
    """
)
COUNTRIES = _w("Mexico, Canada, the Philippines, India, Nigeria, Vietnam, Poland, Brazil, Germany, Guatemala, Korea")
NEIGHBORHOODS = _w(
    """
    Westgate, Eastside, Northpark, Riverbend, Lakeview, Hillcrest, Brookside, Oak Hollow, Cedar Grove,
    Midtown, Old Town, Southpoint, Fairview, Maple Heights, Harbor Point, Pinecrest, Stonebridge,
    Kingsley, Ashford, Bel Air Park, Camden Yards, Willow Creek, Meadowbrook, Crestwood, Highland Park,
    Glenwood, Sunnyvale, Elmhurst, Parkside, Rosedale, Greenfield, Ironwood, Copper Hills, Bayview
    """
)
COUNTIES = _w("Marion County, Cook County, Orange County, Polk County, Jefferson County, Wayne County, Harris County")

CARRIERS = _w(
    """
    Aetna, Cigna, Humana, UnitedHealthcare, UHC, United Healthcare, Kaiser, Kaiser Permanente, Anthem,
    Blue Cross, Blue Shield, BCBS, Blue Cross Blue Shield, Blue Cross Blue Shield of Texas,
    Blue Cross Blue Shield of Illinois, Blue Cross Blue Shield of Michigan, Blue Cross of Idaho,
    Blue Shield of California, Florida Blue, Highmark, Independence Blue Cross, Horizon BCBS, CareFirst,
    Wellmark, Premera, Regence, Excellus, Medicare, Medicaid, Tricare, TRICARE, Molina, Molina Healthcare,
    Ambetter, CareSource, WellCare, Amerigroup, Centene, Oscar, Oscar Health, Bright Health, Devoted Health,
    Clover Health, Alignment Health, SCAN Health Plan, Harvard Pilgrim, Tufts Health Plan, Point32Health,
    EmblemHealth, Healthfirst, Fidelis Care, MetroPlus, AmeriHealth Caritas, Superior HealthPlan,
    Sunshine Health, Buckeye Health Plan, Peach State Health Plan, Priority Health, Meridian, UPMC Health Plan,
    Geisinger Health Plan, HealthPartners, Medica, PacificSource, Moda Health, Sentara, Optima Health,
    Medi-Cal, MassHealth, TennCare, SoonerCare, Apple Health, NJ FamilyCare, BadgerCare Plus, Healthy Louisiana,
    Husky Health, Texas Medicaid, Georgia Medicaid, Ohio Medicaid, CHIP, Champva, GEHA, Aetna Better Health,
    Cigna-HealthSpring, Humana Gold Plus, AARP Medicare, Mutual of Omaha, Golden Rule, Curative, Quartz,
    Delta Dental, MetLife Dental, Guardian Dental, Cigna Dental, United Concordia, Ameritas, VSP, EyeMed,
    Davis Vision, Spectera
    """
)
AUTO_CARRIERS = _w("State Farm, GEICO, Progressive, Allstate, Liberty Mutual, USAA, Farmers, Nationwide, Travelers")
MEDICAID_LIKE = _w("Medicaid, Medi-Cal, MassHealth, TennCare, SoonerCare, Apple Health, CHIP, BadgerCare Plus")
PLAN_TYPES = _w("PPO, HMO, EPO, POS, HDHP, PPO, HMO, Medicare Advantage, Medigap, ppo, hmo")

PRACTICES = _w(
    """
    Riverside Family Medicine, Lakeshore Pediatrics, Summit Orthopedics, Clearwater Dermatology,
    Northgate Women's Health, Evergreen Eye Care, Harborview Sleep Center, Pinecrest Dental Group,
    Sunrise Urgent Care, Valley Cardiology Associates, Brightview Physical Therapy, Oak Street Health,
    Mercy General, St. Agnes Hospital, Good Samaritan, Cedar Ridge Imaging, Meridian Allergy & Asthma,
    Copper Canyon ENT, Bluebird Behavioral Health, Smile Studio Orthodontics, Keystone Podiatry,
    Horizon Fertility, Tri-County Gastroenterology, Gentle Touch Dental, Prairie Wellness Clinic
    """
)

DRUGS = _w(
    """
    metformin, lisinopril, atorvastatin, levothyroxine, amlodipine, sertraline, escitalopram, omeprazole,
    gabapentin, losartan, albuterol, prednisone, amoxicillin, azithromycin, Eliquis, Ozempic, Jardiance,
    Synthroid, Lexapro, Zoloft, Adderall, Vyvanse, Wegovy, insulin glargine, Humalog, hydrochlorothiazide,
    montelukast, cetirizine, tramadol, meloxicam, cyclobenzaprine, doxycycline, Plan B, Xarelto, Entresto
    """
)
DOSES = _w(
    "5 mg, 10 mg, 20mg, 25 mg, 40 mg, 50mg, 81 mg, 100 mcg, 150 mg, 250 mg, 500 mg, 600 mg, 1000mg, 0.5 mg, 2 puffs, 10 units"
)
DEVICE_MODELS = _w(
    """
    ResMed AirSense 11, ResMed AirSense 10, Philips DreamStation 2, Dexcom G7, Dexcom G6, FreeStyle Libre 3,
    Omnipod 5, Tandem t:slim X2, Medtronic MiniMed 780G, Phonak Audéo Lumity, Oticon More, Apple Watch,
    Inspire implant, Medtronic Azure pacemaker, Boston Scientific ICD, Fitbit Charge 6, Omron BP monitor
    """
)
DEVICE_KINDS = _w(
    """
    CPAP, CPAP machine, insulin pump, pacemaker, hearing aid, glucose monitor, CGM, BiPAP, nebulizer, TENS unit,
    wheelchair, oxygen concentrator, defibrillator, hearing aids
    """
)
PROCEDURES = _w(
    """
    MRI, knee MRI, CT scan, colonoscopy, mammogram, ultrasound, echocardiogram, sleep study, physical,
    annual physical, teeth cleaning, root canal, crown, filling, wisdom tooth extraction, eye exam,
    LASIK consult, allergy testing, skin check, mole removal, IUD insertion, vasectomy, ACL repair,
    cataract surgery, hearing test, blood work, lipid panel, x-ray, chest x-ray, stress test, Botox,
    physical therapy eval, braces consult, pap smear, prenatal visit, biopsy, endoscopy, DEXA scan
    """
)
SYMPTOMS = _w(
    """
    chest tightness, shortness of breath, a fever of 101, a rash that is spreading, bad headaches,
    dizziness when I stand up, swelling in my ankles, pain when I pee, nausea and vomiting, a cough that won't quit,
    blurry vision, numbness in my left hand, heart palpitations, sharp pain in my lower back, a sore throat and
    white spots, bleeding that hasn't stopped, redness and pus at the incision, severe cramping,
    ringing in my ears, a racing heart at night, stomach pain on the right side, a migraine for 3 days,
    itching all over, swollen glands, trouble swallowing, leg pain and warmth in my calf
    """
)
LAB_VALUES = _w(
    """
    A1c 7.2, A1c of 8.1, BP 142/90, blood pressure 150/95, LDL 162, TSH 6.3, glucose 240, temp 100.8, INR 3.4,
    potassium 5.6, HR 118, O2 sat 91%, eGFR 48, PSA 4.6
    """
)
CODES = _w(
    "CPT 99213, CPT 99214, CPT 70553, CPT 45378, ICD-10 E11.9, code I10, J45.909, M54.5, Z00.00, D0120, 97110, G0438, 80053"
)
STAFF_ROLES = _w("front desk, billing office, receptionist, nurse line, scheduler, office manager, billing rep, call center")
RELATIVES = _w(
    """
    husband, wife, son, daughter, mom, mother, dad, father, grandmother, grandpa, aunt, brother, sister, partner,
    fiancé, stepdaughter, caregiver, neighbor
    """
)
EMAIL_DOMAINS = _w(
    """
    gmail.com, yahoo.com, outlook.com, hotmail.com, icloud.com, aol.com, comcast.net, protonmail.com, att.net,
    msn.com, live.com, me.com, verizon.net, sbcglobal.net, mail.com
    """
)
WEEKDAYS = _w("Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday")
WEEKDAYS_SHORT = _w("Mon, Tue, Tues, Wed, Thu, Thurs, Fri, Sat, Sun")
MONTHS = _w("January, February, March, April, May, June, July, August, September, October, November, December")
MONTHS_SHORT = _w("Jan, Feb, Mar, Apr, May, Jun, Jul, Aug, Sep, Sept, Oct, Nov, Dec")
US_STATES = _w(
    """
    AL, AK, AZ, AR, CA, CO, CT, DE, FL, GA, HI, ID, IL, IN, IA, KS, KY, LA, ME, MD, MA, MI, MN, MS, MO, MT,
    NE, NV, NH, NJ, NM, NY, NC, ND, OH, OK, OR, PA, RI, SC, SD, TN, TX, UT, VT, VA, WA, WV, WI, WY
    """
)
TITLES_DR = _w("Dr., Dr, Doctor, dr, Dr.")
TITLES_CIV = _w("Mr., Mrs., Ms., Miss, Mr, Mrs, Ms, Mx.")
CLINICIAN_ROLES = _w("nurse, NP, PA, therapist, hygienist, midwife, PT, RN, tech, MA, dietitian, audiologist")
