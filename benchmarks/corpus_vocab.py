"""Topic vocabularies for the synthetic English articles (hand-written, no external data).

Every topic lists agents (plural people, so verbs need no agreement), actions (a transitive verb as base/past
with the objects it makes sense with) and activities (gerund phrases). Words were chosen to avoid the
single-word entries of DataFlow's English blocklist and the watermark / lorem / javascript trigger words.
"""

from __future__ import annotations

from typing import TypedDict


class Topic(TypedDict):
    """One topic's word lists; ``things`` is every object of every action."""

    name: str
    people: list[str]
    actions: list[tuple[str, str, list[str]]]
    things: list[str]
    activities: list[str]


def _t(name: str, people: str, actions: str, activities: str) -> Topic:
    parsed = []
    for chunk in actions.split(" | "):
        verb, objects = chunk.split(": ")
        base, past = verb.split("/")
        parsed.append((base, past, objects.split("; ")))
    # objects with a verb particle ("off the debt", "up the photos") only work with their own verb
    things = sorted({o for _, _, objs in parsed for o in objs if o.split()[0] not in ("off", "up", "at")
                     and " to " not in o})
    return Topic(name=name, people=people.split("; "), actions=parsed, things=things,
                 activities=activities.split("; "))


TOPICS: list[Topic] = [
    _t("cooking", "home cooks; professional chefs; busy parents; food writers; beginners; restaurant owners",
       "season/seasoned: a cast-iron pan; the tomato sauce; a pot of soup | roast/roasted: seasonal vegetables; "
       "a whole chicken; the peppers | chop/chopped: fresh herbs; the onions; a bunch of parsley | "
       "bake/baked: the bread dough; a batch of cookies; a simple loaf | store/stored: leftover rice; fresh herbs; "
       "the spice jars | plan/planned: a weeknight dinner; the weekly menu; a family meal | "
       "simmer/simmered: the tomato sauce; a pot of soup; the beans | taste/tasted: the sauce; a new recipe",
       "baking bread at home; roasting vegetables; planning meals for the week; cooking with beans; "
       "making stock from scraps; grilling fish; fermenting cabbage; shopping at local markets"),
    _t("gardening", "gardeners; new homeowners; community volunteers; landscape designers; allotment holders; "
       "retired teachers",
       "plant/planted: tomato seedlings; native wildflowers; spring bulbs; a row of beans | water/watered: "
       "the vegetable bed; the seedlings; the lawn | prune/pruned: the fruit trees; the roses; an old hedge | "
       "mulch/mulched: the raised beds; the vegetable bed | harvest/harvested: the potatoes; the first "
       "tomatoes; a basket of apples | build/built: a compost heap; the raised beds; a small greenhouse | "
       "improve/improved: clay soil; the drainage; the shady corner | install/installed: a rain barrel; "
       "a drip irrigation line",
       "growing tomatoes; saving seeds; composting kitchen waste; planting native species; "
       "building raised beds; collecting rainwater; attracting pollinators; pruning fruit trees"),
    _t("finance", "young savers; retirees; small business owners; first-time buyers; financial advisers; "
       "households",
       "build/built: an emergency fund; a savings habit | review/reviewed: the monthly budget; the pension plan; "
       "the household bills | pay/paid: off credit card debt; the household bills; off student loans | "
       "compare/compared: mortgage rates; insurance quotes; index funds | track/tracked: grocery spending; "
       "daily expenses; the monthly budget | cut/cut: subscription costs; grocery spending | "
       "open/opened: a retirement account; a savings account | file/filed: the tax return; the paperwork",
       "paying off debt; building an emergency fund; investing in index funds; tracking daily expenses; "
       "comparing insurance quotes; planning for retirement; negotiating a salary; cutting subscription costs"),
    _t("travel", "budget travellers; families with children; solo hikers; tour operators; frequent flyers; "
       "local guides",
       "book/booked: the train tickets; a guesthouse near the station; a rental car; the night ferry | "
       "pack/packed: a carry-on bag; a light rain jacket | visit/visited: the old town; the harbour; "
       "the local museum | explore/explored: the old town; the coastal path; the side streets | "
       "plan/planned: a weekend itinerary; the route; a day trip | buy/bought: the museum pass; travel "
       "insurance; a city map | try/tried: local street food; the regional dishes | cancel/cancelled: "
       "the hotel booking; the flight",
       "travelling by train; packing light; hiking the coastal path; visiting in the off season; "
       "learning a few local phrases; staying in guesthouses; exploring small towns; travelling with children"),
    _t("fitness", "runners; physiotherapists; office workers; older adults; personal trainers; new gym members",
       "follow/followed: a training plan; the warm-up routine; a simple program | skip/skipped: the warm-up "
       "routine; a rest day; the morning run | measure/measured: the heart rate; daily step counts; sleep "
       "quality | buy/bought: a pair of running shoes; a yoga mat; a heart rate monitor | improve/improved: "
       "sleep quality; their posture; their endurance | schedule/scheduled: a rest day; a stretching session; "
       "the long run | try/tried: strength exercises; a new yoga class; interval training",
       "running three times a week; lifting weights; stretching after work; walking to the office; "
       "swimming laps; cycling to school; practising yoga; getting enough sleep"),
    _t("technology", "software developers; smartphone users; small companies; security researchers; "
       "system administrators; teachers",
       "install/installed: a password manager; the software update; an open-source library | back/backed: "
       "up the family photos; up the database server | configure/configured: the home network; a wireless "
       "router; the backup drive | replace/replaced: an old laptop; the battery; the wireless router | "
       "test/tested: the user interface; the new release; the backup drive | repair/repaired: an old laptop; "
       "a cracked screen | update/updated: the operating system; the company website | "
       "share/shared: a shared calendar; the project files",
       "writing automated tests; backing up photos; using a password manager; repairing old devices; "
       "learning to program; switching to open-source tools; encrypting files; upgrading the router"),
    _t("science", "astronomers; marine biologists; climate scientists; graduate students; physicists; "
       "field researchers",
       "observe/observed: a distant galaxy; the solar wind; a faint comet | measure/measured: ocean "
       "temperatures; the sea level; the solar wind | collect/collected: soil samples; ancient pollen; "
       "ice cores | publish/published: a long-term study; the lab results; the data set | "
       "analyse/analysed: the satellite images; the lab results; soil samples | map/mapped: the ocean floor; "
       "coral reefs; the glacier | identify/identified: a new species of beetle; the source of the signal | "
       "launch/launched: a weather balloon; the research vessel",
       "studying coral reefs; mapping the ocean floor; observing distant galaxies; sequencing genomes; "
       "collecting ice cores; tracking migrating birds; modelling the climate; counting insects"),
    _t("education", "teachers; school principals; parents; university students; librarians; tutors",
       "design/designed: a math lesson; the reading program; a new curriculum | review/reviewed: homework "
       "assignments; the class schedule; the school budget | grade/graded: the final exam; the essays | "
       "attend/attended: the parent meeting; online courses; a language course | introduce/introduced: "
       "a new curriculum; the summer program; a reading club | support/supported: the school library; "
       "the science project | discuss/discussed: the class schedule; lunch breaks; the school budget",
       "reading aloud to children; learning a second language; teaching with games; grading essays; "
       "studying in groups; visiting the library; taking notes by hand; preparing for exams"),
    _t("home", "homeowners; tenants; carpenters; interior designers; local builders; weekend DIY fans",
       "paint/painted: the kitchen cabinets; the front door; the living room | repair/repaired: a leaking tap; "
       "the garden shed; an old bookshelf | insulate/insulated: the attic; the basement walls | "
       "replace/replaced: a window frame; the bathroom tiles; the heating system | sand/sanded: the wooden "
       "floor; an old bookshelf | install/installed: new shelves; a smart thermostat; the kitchen cabinets | "
       "clean/cleaned: the gutters; the garden shed | lower/lowered: the electricity bill; the heating costs",
       "painting the living room; insulating the attic; fixing a leaking tap; restoring old furniture; "
       "laying floor tiles; sealing draughty windows; building shelves; decluttering the garage"),
    _t("city", "local residents; city officials; shop owners; commuters; neighbourhood groups; bus drivers",
       "approve/approved: the new bike lane; the local budget; the parking rules | open/opened: a public "
       "library branch; a community garden; a youth centre | renovate/renovated: the town hall; the old "
       "railway station; the main square | extend/extended: the bus schedule; the river path | "
       "debate/debated: the parking rules; the local budget | fund/funded: the recycling program; street "
       "lighting | close/closed: the main square to traffic; the old market hall | announce/announced: "
       "a weekly market; the new bus routes",
       "cycling to work; shopping at the weekly market; volunteering at the library; using public transport; "
       "attending council meetings; cleaning up the river path; organising street festivals; planting trees"),
    _t("music", "musicians; music teachers; concert goers; record collectors; young composers; choir members",
       "record/recorded: a new album; a folk song; the live session | rehearse/rehearsed: the setlist; a new "
       "piece; the choir program | perform/performed: a folk song; the new album; at the summer festival | "
       "tune/tuned: the piano; an old guitar | buy/bought: a vinyl record; a pair of headphones; sheet music | "
       "book/booked: the concert hall; the recording studio; the jazz club | compose/composed: a short "
       "piece; the film score",
       "learning the piano; playing in a band; recording at home; collecting vinyl; singing in a choir; "
       "writing songs; going to live concerts; teaching guitar"),
    _t("pets", "dog owners; cat lovers; veterinarians; animal shelters; pet sitters; families",
       "adopt/adopted: a rescue cat; an older dog; two kittens | feed/fed: a balanced diet; the puppy | "
       "walk/walked: the dog; an energetic puppy | groom/groomed: a long-haired cat; the dog | "
       "book/booked: the vet appointment; a puppy class | buy/bought: a scratching post; a pet carrier; "
       "a chew toy | set/set: up an aquarium; up a quiet corner for the cat | train/trained: the puppy; "
       "a nervous dog",
       "adopting a rescue dog; training a puppy; brushing a long-haired cat; walking dogs in the rain; "
       "feeding a balanced diet; visiting the vet; volunteering at a shelter; keeping an aquarium"),
]

GENERIC_VERBS = [("choose", "chose"), ("find", "found"), ("use", "used"), ("check", "checked"),
                 ("discuss", "discussed"), ("recommend", "recommended"), ("compare", "compared"),
                 ("mention", "mentioned")]
OUTCOMES = ["save a surprising amount of money", "take more time than expected", "make a real difference",
            "become a habit within a few weeks", "feel strange at first", "be more rewarding than it sounds",
            "change the way people plan their week", "cost less than most people assume"]
ADVERBIALS = ["these days", "without much effort", "over the weekend", "at the end of the day",
              "more often than before", "for the first time", "with surprising results", "on a tight budget",
              "during the winter months", "almost every week", "in a small town", "with a little planning",
              "before the holidays", "after a long delay", "in the early morning", "throughout the year"]
TIMES = ["last year", "last month", "this spring", "in the autumn", "two weeks ago", "earlier this year",
         "over the past decade", "during the pandemic", "last weekend", "in the summer"]
CONNECTORS = ["However,", "In addition,", "As a result,", "For example,", "Meanwhile,", "On the other hand,",
              "Still,", "In practice,", "Not surprisingly,", "At the same time,", "Of course,", "Even so,"]
SOURCES = ["a recent survey", "several experts", "a report published last year", "the local newspaper",
           "a small study", "industry data", "people we spoke to", "the official guidelines"]
EVALS = ["important", "easy", "surprisingly difficult", "worth the effort", "not always necessary",
         "a good idea", "rarely a waste of time", "cheaper than most people think"]
SUPERLATIVES = ["easiest", "cheapest", "most reliable", "most popular", "quickest", "most effective"]
REPORT_VERBS = ["said", "agreed", "noted", "argued", "believed", "found", "explained", "warned"]
RESULTS = ["were better than expected", "surprised almost everyone", "were mixed", "took longer than planned",
           "were easy to measure", "changed the whole plan"]
ANSWERS = ["The answer is simpler than it seems.", "The short answer is time.", "It depends on the season.",
           "Cost is usually the main reason.", "Habit plays a bigger role than most people admit.",
           "There is no single answer."]
FIRST = ["Maria", "James", "Aisha", "Tom", "Elena", "David", "Priya", "Lucas", "Hannah", "Omar", "Sofia",
         "Daniel", "Grace", "Mateo", "Chloe", "Ben", "Yuki", "Nora", "Samuel", "Leila"]
LAST = ["Lopez", "Carter", "Khan", "Novak", "Bennett", "Okafor", "Schmidt", "Rossi", "Patel", "Murphy",
        "Tanaka", "Walsh", "Silva", "Nguyen", "Hughes", "Larsen", "Moreau", "Fischer"]
ROLES = ["a teacher from Leeds", "who runs a small shop in Lyon", "a volunteer in Denver", "a retired engineer",
         "a researcher at a local university", "who has done this for twenty years", "a nurse in Cork",
         "the owner of a family business", "a student in Toronto", "a reader from Melbourne"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "at", "by", "with", "from"}
