"""Hazardous customer messages (issue 18 item 4), by the MLCommons taxonomy that Llama Guard 3 uses.

:func:`classify` returns the hazard category of a message (``S1`` … ``S14``) or ``None``. It is
made of rules (:func:`by_rules`) and, for what they miss, a linear classifier over the packaged
sentence embedder (:mod:`.hazard_model`, weights fitted by ``bench/fit_hazards.py``): rules OR
classifier. The rules were written against XSTest's dev half and do not generalise on their own
(test half: 51% of unsafe prompts passed); the classifier is fitted on labelled data and its
threshold chosen on dev, measured on the held-out halves (``bench/safety.py``, docs/benchmarks.md).
The packaged chat model as a yes/no judge was slower (hundreds of ms per message) and not better.

A rule is a combination, not a list of sentences: a **request or intent frame** ("how do I",
"what's the best way to", "where can I", "help me", "ich will", "wie kann ich"), a **harmful act**
(a family of verbs: kill, stab, poison, kidnap, steal, launder …) and a **target** that makes it
harmful (a person: "someone", "my neighbour", "a child", "people"; a place full of people: "a
hospital"); messages that only sound dangerous stay answerable: a technical or figurative object
("kill the process", "shoot photos", "blow up a balloon"), a game, sport or fiction ("in
Counter-Strike", "in my novel", "in boxing"), a definition ("what is money laundering?"), or a
question about what others did ("why did Hitler attack Poland?", no first person).
Self-harm (S11) is first person ("kill myself", "end my life", "mich umbringen") and gets a
caring answer with help resources, not a decline (:mod:`.screen`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CATEGORIES = {
    "S1": "violent crimes", "S2": "non-violent crimes", "S3": "sex-related crimes",
    "S4": "child sexual exploitation", "S5": "defamation", "S6": "specialized advice", "S7": "privacy",
    "S8": "intellectual property", "S9": "indiscriminate weapons", "S10": "hate", "S11": "suicide and self-harm",
    "S12": "sexual content", "S13": "elections", "S14": "code interpreter abuse",
}


@dataclass(frozen=True)
class Hazard:
    category: str  # "S1" … "S14"
    rule: str

    @property
    def name(self) -> str:
        return CATEGORIES[self.category]

    @property
    def from_classifier(self) -> bool:
        """Flagged by the fitted classifier, not by a rule."""
        return self.rule.startswith("classifier")


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# -- the parts -------------------------------------------------------------------------------------

_ME = r"(?:i|we|me|us|my|our|one|ich|wir|mir|mich|man)"
#: A request to be told how, where or by which means; or a stated intent.
_FRAME = _re(
    r"\b(?:how|where|when)\s+(?:do|can|could|would|should|might|shall|will|to|does\s+one|did\s+you)\s+(?:i|we|one|you|someone|a\s+person)?\b|"
    r"\bhow\s+to\b|\bhow\s+would\s+(?:i|one|someone|you)\b|\bis\s+it\s+possible\s+to\b|\bcan\s+i\b|"
    r"\bwhere\s+(?:is|are|would\s+be)\s+(?:a|the|some)\s+(?:good|best|ideal|safe|perfect|quiet|right)\s+(?:place|spot|location|time)s?\b|"
    r"\bwhat\s+(?:tools?|weapons?|equipment|materials?|chemicals?|ingredients?)\s+(?:do|would|should)\s+(?:i|we|one)\b|"
    r"\bwithout\s+(?:getting|being)\s+caught\b|\b(?:what|which)(?:'s|\s+is|\s+are|\s+would\s+be)?\s+(?:the\s+|a\s+|some\s+)?(?:best|easiest|quickest|fastest|"
    r"perfect|good|general|most\s+\w+|simplest|safest|cheapest|right|ideal)?\s*(?:ways?|methods?|process|strategy|steps?|"
    r"place|places|tips?|means|tools?|techniques?|plan|recipe|instructions?|dose|amount)\b|"
    r"\bwhat\s+(?:do|should|can|must)\s+(?:i|we)\s+(?:need\s+to\s+)?(?:do|take|use|buy)\b|\bways?\s+(?:of|to)\b|"
    r"\b(?:help|teach|show|tell|explain\s+to|let)\s+me\b|\bsteps?\s+(?:to|for)\b|\bguide\s+(?:to|for)\b|"
    r"\binstructions?\s+(?:for|to|on)\b|\b(?:i|we)\s+(?:want|need|plan|intend|am\s+going|'m\s+going|wanna|gonna|will|'ll)\s+(?:to\s+)?|"
    r"\bcan\s+you\s+(?:help|tell|explain|show|give|list|write)\b|\bgive\s+me\b|\bis\s+there\s+a\s+way\s+to\b|"
    r"^(?:write|generate|create|draft|compose|list|describe|explain)\b|"
    r"\bwie\s+(?:kann|könnte|soll|sollte|muss|mache|baue|bekomme|komme|bringe)\s+(?:ich|man|wir)\b|"
    r"\bwo\s+(?:kann|bekomme|kaufe|finde)\s+(?:ich|man)\b|\b(?:ich|wir)\s+(?:will|möchte|werde|muss)\b|"
    r"\b(?:hilf|zeig|sag|erklär)\w*\s+mir\b|\banleitung\b|\bam\s+besten\b")
_GROUPS = (r"(?:women|men|girls|boys|black\s+people|blacks|white\s+people|whites|asian\s+people|asians|jews|jewish\s+people|"
           r"muslims|christians|buddhists|hindus|sikhs|atheists|catholics|gay\s+people|gays|gay\s+men|lesbians|bisexuals?|"
           r"trans\s+people|transgender\s+(?:people|women|men)|non-binary\s+people|queer\s+people|lgbt\w*|immigrants|"
           r"refugees|migrants|foreigners|indigenous\s+people|native\s+americans|aboriginals?|latinos|latinas|hispanics|"
           r"arabs|africans|mexicans|chinese\s+people|indians|roma|gypsies|disabled\s+people|people\s+with\s+disabilities|"
           r"elderly\s+people|old\s+people|the\s+elderly|homeless\s+people|poor\s+people|pregnant\s+women|pregrant\s+women|"
           r"people\s+on\s+benefits|divorced\s+people|single\s+mothers|fat\s+people|autistic\s+people|"
           r"frauen|ausländer|juden|muslime|flüchtlinge|schwule|behinderte|migranten|türken|schwarze)")
_RELATION = (r"(?:wife|husband|partner|girlfriend|boyfriend|ex|ex-\w+|ex\s+\w+|date|tinder\s+(?:date|match)|neighbou?r|boss|"
             r"coworker|co-worker|colleague|teacher|student|classmate|friend|friend's\s+\w+|mother|father|mom|mum|dad|"
             r"parents?|brother|sister|son|daughter|child|children|kids?|baby|family|cousin|uncle|aunt|roommate|landlord|"
             r"tenant|employee|employer|manager|cleaner|gardener|servant|nanny|mentee|mentor|doctor|therapist|"
             r"probation\s+officer|officer|client|customer|patient|enemy|rival|competitor)")
_PERSON = (rf"(?:{_GROUPS}|someone|somebody|anyone|a\s+person|persons?|people|humans?|a\s+human|him|her|them|everyone|"
           rf"(?:a|the|an|my|our|this|that|some|all|those|these)\s+(?:\w+\s+){{0,2}}(?:woman|man|women|men|girl|boy|child|kid|baby|toddler|teen(?:ager)?|"
           rf"student|politician|president|cop|police\s*officer|officer|judge|witness|stranger|person|human|crowd|"
           rf"group\s+of\s+people|family|village|population|town|city|nation|race|minority|hostage|victim|pedestrian|"
           rf"homeless\s+\w+|senator|mayor|king|queen|prime\s+minister|journalist|tourist|old\s+lady|old\s+man)|"
           rf"(?:my|our|your|his|her|their|a|the)\s+(?:\w+\s+){{0,2}}{_RELATION}s?|\w+'s\s+(?:wife|husband|child|kids?|family|head|skull|"
           rf"sternum|neck|legs?|arms?|face)|the\s+president\b[^?]*|jemanden?|einen\s+menschen|menschen|leute|"
           rf"meine[nrm]?\s+\w+|meinen\s+\w+|eine\s+frau|einen\s+mann|ein\s+kind|kinder)")
_VIOLENT = (r"(?:kill|murder|stab|shoot|strangl|chok|poison|drown|behead|decapitat|butcher|slaughter|execut|"
            r"assassinat|eliminat|liquidat|eradicat|exterminat|annihilat|wip(?:e|ing)\s+out|decimat|massacr|tortur|"
            r"kidnap|abduct|take\s+(?:\S+\s+){1,3}hostage|beat(?:ing)?\s+up|beat|punch|hit|hurt|harm|injur|attack|assault|"
            r"overpower|tackl|crush|maim|cripple|captur|hunt\s+down|terminat|push\s+(?:\S+\s+){1,3}off|set\s+\w+\s+on\s+fire|"
            r"burn|blow\s+up|bomb|hammer|hang|lynch|dismember|mutilat|gas|shank|slit|knock\s+out|bash|bludgeon|disfigur|"
            r"throw\s+acid\s+(?:at|on)|gun\s+down|mow\s+down|slay|torch|incinerat|electrocut|starv|bury\s+\w+\s+alive|"
            r"whip|flog|abuse|traffic|enslav|sacrific|break\s+(?:\w+\s+)?(?:legs?|arms?|bones?|neck|nose|jaw|skull|fingers)|rip(?:ping)?\s+off|cut\s+off|break\s+open|smother|suffocat|run\s+over|"
            r"töten|umbringen|ermorden|vergiften|erstechen|erschießen|erwürgen|verletzen|verprügeln|schlagen|entführen|"
            r"angreifen|überfallen|foltern)\w*")
_VIOLENCE = _re(
    rf"\b(?:get\s+rid\s+of|dispose\s+of|do\s+away\s+with|take\s+out|silence|shut\s+up)\s+(?:\w+\s+){{0,2}}?{_PERSON}\s+(?:for\s+good|"
    rf"forever|permanently|once\s+and\s+for\s+all)|"
    rf"\b(?:poison|tortur|hurt|abus|drown|kick|starv|beat|burn|strangl|choke)\w*\s+(?:a|my|the|our|his|her|someone'?s?|"
    rf"\w+'s)\s+(?:\w+\s+)?(?:dog|cat|puppy|kitten|horse|pet|hamster|rabbit|bird|parrot)s?\b|"
    rf"\b(?:push|throw|shove|take|hold|lock|tie|chain|lure|drag)\s+(?:\S+\s+){{0,3}}?(?:off|hostage|captive|prisoner|"
    rf"down\s+the\s+stairs|into\s+(?:a|the)\s+(?:river|lake|sea|fire|trunk|van|basement))\b|"
    rf"\b{_VIOLENT}\s+(?:\w+\s+){{0,3}}?{_PERSON}(?:\b|$)|\b{_PERSON}\s+(?:\w+\s+){{0,2}}?(?:to\s+)?{_VIOLENT}|"
    r"\b(?:commit|plan|carry\s+out|get\s+away\s+with|stage)\w*\s+(?:a\s+|an\s+)?(?:\w+\s+)?(?:murder|homicide|massacre|"
    r"assassination|kidnapping|violent\s+assault|assault|terror\w*\s+attack|shooting|stabbing|hate\s+crime|genocide)\b|"
    r"\b(?:another|a)\s+death\s+like\b|\b(?:murder|kill)\w*\s+(?:at|in)\s+(?:the|a|my)\s+(?:airport|school|class|office|"
    r"street|park|church|mall)\b|\bwhere\b[^?]*\b(?:commit|do)\s+(?:a\s+)?murder")
_CONTEXT = re.compile(  # case-sensitive on purpose for a named work: "in Counter Strike", "in Mission Impossible"
    r"(?i:\bin\s+(?:a|an|the|my|our|his|her)?\s*(?:\w+\s+)?(?:novel|story|stories|book|film|films|movie|movies|tv\s+show|"
    r"show|series|play|screenplay|script|game|games|video\s*game|board\s+game|comic|episode|poem|song|fiction|"
    r"roleplay|rpg|campaign|simulation)\b|\bfor\s+(?:a|an|the|my)\s+(?:\w+\s+)?(?:tv\s+show|film|movie|play|novel|"
    r"story|game|scene|book)\b|\bin\s+(?:chess|checkers|poker|boxing|judo|karate|mma|wrestling|fencing|jiu[- ]?jitsu|"
    r"kickboxing|rugby|football|soccer|hockey|paintball|laser\s+tag|airsoft|tennis|badminton|basketball)\b|"
    r"\bcharacter'?s?\b|\bopponent\b|\bfictional\b|\bin\s+(?:minecraft|fortnite|roblox|gta|skyrim|the\s+sims)\b)|"
    r"\bin\s+(?:the\s+)?[A-Z][\w'’:-]*(?:\s+(?:and|of|the|&)?\s*[A-Z0-9][\w'’:-]*)*(?:\s+(?:films?|movies?|series|games?|"
    r"books?|\d))?\s*[?.!]?\s*$")
_DEFINITION = _re(
    r"^\s*(?:what\s+(?:is|are|was|were)\s+(?!.*\b(?:my|your|his|her|their|our|ways?|process|methods?|best|steps|strategy|"
    r"place|plan|how|to|for|of|good|easiest)\b)(?!.*'s\b)(?:a|an|the)?\s*\w+(?:[\s-]\w+){0,3}\s*\?|what\s+(?:is\s+the\s+)?(?:definition|meaning)\s+of\b|"
    r"what\s+does\s+.{1,50}\s+mean\b|what\s+does\s+it\s+mean\s+to\b|define\s+\w+|what\s+constitutes\b|"
    r"what\s+kind\s+of\s+\w+\s+is\s+\w+\s*\?|was\s+(?:ist|sind|bedeutet)\s+[\w\s-]{1,40}\?)\s*$")
_FIRST_PERSON = _re(rf"\b{_ME}\b|\byou\s+(?:tell|help|show|give|list|explain)\b|^(?:write|generate|create|draft|compose|list)\b")

_SELF_HARM = _re(
    r"\b(?:kill|hang|drown|hurt|harm|cut|shoot|poison|starve|burn|stab|off|end)\w*\s+(?:my\s*self|myself)\b|"
    r"\b(?:end|take)\s+my\s+(?:own\s+)?life\b|\bslit\s+my\s+wrists?\b|\bjump\s+off\s+(?:a|the)\s+(?:bridge|building|"
    r"roof|cliff|tower)\b[^?]*\b(?:die|end|kill)|\bpainless\w*\s+(?:way\s+to\s+)?(?:die|death)|\bend\s+it\s+all\b|"
    r"\bunalive\s+myself\b|\bkill\s+me\b|\bnever\s+wake\s+up\b|\bcommit(?:ting)?\s+suicide\b|\bsuicid\w*\s+(?:method|way|note)|"
    r"\b(?:want|wanna|going|ready|deserve)\s+(?:to\s+)?die\b|\bdon'?t\s+want\s+to\s+(?:live|be\s+alive|exist|wake\s+up)\b|"
    r"\bself[- ]?harm\w*\b|\b(?:carve|cut)\w*\s+(?:a\s+)?\w*\s*(?:into|in)\s+my\s+(?:arm|wrist|leg|skin)|"
    r"\boverdos\w*\s+on\b|\bhow\s+many\s+\w+\s+(?:pills|tablets)\s+(?:to|would|does\s+it\s+take\s+to)\s+(?:die|kill)|"
    r"\blethal\s+dose\b|\bnot\s+worth\s+living\b|\bno\s+reason\s+to\s+live\b|\bbetter\s+off\s+dead\b|"
    r"\bgo\s+out\s+like\s+[A-Z]?\w+\s+\w+|"
    r"\b(?:mich|mir)\s+(?:selbst\s+)?(?:umbringen|töten|das\s+leben\s+nehmen|etwas\s+antun|ritzen|verletzen|erhängen|"
    r"aufhängen|vergiften|erschießen)\b|\b(?:ich|mich|mir)\b[^.?!]{0,40}\b(?:selbstmord|suizid)\w*(?<!prävention)\b|"
    r"\b(?:selbstmord|suizid)\w*\s+(?:begehen|machen)\b[^.?!]{0,20}\b(?:ich|will|möchte)\b|\bnicht\s+mehr\s+leben\b|\b(?:will|möchte)\s+sterben\b|"
    r"\blebensmüde\b|\bmeinem\s+leben\s+ein\s+ende\b|\bsterben\s+(?:will|möchte)\b")
_SELF_HARM_TOPIC = _re(r"^\s*(?:what\s+is|what\s+are|was\s+ist)\s+(?:suicide|self[- ]harm|suizid|selbstmord)\s*\??\s*$")

_WEAPON = _re(
    r"\b(?:make|build|create|assemble|construct|synthesi[sz]e|produce|manufacture|get|buy|obtain|acquire|3d[- ]print|"
    r"cook|brew|mix|weaponi[sz]e|detonate|plant|bau|baue|bauen|herstell|bastel|mache|kaufen|besorgen)\w*\b[^?.!]{0,40}"
    r"\b(?:bombs?|explosives?|pipe\s*bombs?|molotov\w*|napalm|nerve\s+(?:agent|gas)|sarin|vx\s+gas|ricin|anthrax|"
    r"bioweapons?|biological\s+weapons?|chemical\s+weapons?|dirty\s+bombs?|nuclear\s+(?:weapon|bomb|device)s?|"
    r"ghost\s+guns?|untraceable\s+(?:gun|firearm)s?|silencers?|suppressors?|fully?\s+automatic|thermite|"
    r"c-?4|semtex|tnt|mustard\s+gas|chlorine\s+gas|poison\s+gas|bombe|sprengstoff\w*|sprengsatz|giftgas)\b|"
    r"\b(?:blow\s+up|bomb|set\s+\w+\s+on\s+fire|burn\s+down|obliterate|destroy|attack|nuke|sprengen|anzünden)\w*\s+"
    r"(?:a|an|the|my|our|this|that|entire|whole|einen?|die|das|den)?\s*(?:\w+\s+)?(?:city|cities|town|village|hospital|"
    r"school|building|army\s+base|military\s+base|airport|plane|airplane|train|station|church|mosque|synagogue|"
    r"temple|stadium|concert|crowd|embassy|government\s+building|parliament|subway|metro|bridge|dam|power\s+plant|"
    r"krankenhaus|schule|gebäude|flughafen|kirche|stadt)\b|"
    r"\b(?:set|put)\s+(?:a|an|the|my|this|that)\s+(?:\w+\s+)?(?:city|town|village|hospital|school|building|church|mosque|"
    r"synagogue|temple|stadium|house|home|apartment|car|shop|store|office|plane|train|bus|forest)\s+on\s+fire\b|"
    r"\b(?:sneak|smuggle|bring|get|carry|hide)\w*\s+(?:a|an|my|some)?\s*(?:\w+\s+)?(?:knife|knives|gun|guns|weapon|weapons|"
    r"firearm|pistol|explosives?|bomb)\s+(?:onto|into|past|through|on)\s+(?:a|an|the)?\s*(?:plane|flight|airport|security|"
    r"school|stadium|concert|court|courthouse|prison|metal\s+detector)|"
    r"\b(?:bomb\s+from\s+world\s+war|weapons?\s+of\s+mass\s+destruction)\b[^?]*\b(?:i|we)\b|"
    r"\b(?:replicate|repeat|recreate)\b[^?]*\b(?:bomb|bombs|hiroshima|nagasaki|massacre|genocide|holocaust)\b")
_CRIME = _re(
    r"\b(?:steal|rob|shoplift|burglar|break\s+into|breaking\s+into|pickpocket|hotwir|launder|counterfeit|forg(?:e|ing)\s+"
    r"(?:a|an|the|my|some)?\s*(?:\w+\s+)?(?:signature|document|passport|id|check|cheque|money|bills?|prescription|will)|"
    r"commit\w*\s+(?:a\s+)?(?:fraud|treason|tax\s+evasion|arson|identity\s+theft|insurance\s+fraud|crimes?|felony|"
    r"burglary|robbery|theft|perjury)|scam|defraud|embezzl|evade\s+(?:taxes|tax|the\s+police)|bribe|smuggl|"
    r"phish|blackmail|extort|vandali[sz]|destroy\w*\s+(?:my|someone's|his|her|their|a|the)\s+(?:\w+'s\s+)?(?:car|house|life|"
    r"reputation|business)|trespass|poach|get\s+away\s+with|cover\s+up\s+(?:a|the)\s+(?:crime|murder)|"
    r"hide\s+(?:a|the)\s+body|dispose\s+of\s+(?:a|the|my)\s+(?:\w+\s+)?(?:body|corpse)|dispose\s+of\s+(?:a|the|my)\s+dead\s+\w+|"
    r"make\s+\S+\s+(?:\w+\s+)?(?:explode|blow\s+up|catch\s+fire|crash)|stalk|"
    r"(?:make|get|buy|create|print|order)\w*\s+(?:a\s+|some\s+)?fake\s+(?:id|ids|passport|documents?|driver'?s\s+licen[cs]e|"
    r"money|bills|banknotes|prescriptions?|diploma|degree|certificate|doctor'?s\s+note)|"
    r"(?:without|avoid)\s+(?:getting|being)\s+caught|undetected|leave\s+no\s+(?:trace|evidence)|"
    r"rob\s+(?:a|the|my)\s+(?:\w+\s+)?(?:bank|store|shop|casino|house|gas\s+station|person|jewel\w*)|mug\s+(?:someone|a\s+\w+)|"
    r"cheat\s+on\s+(?:my\s+)?taxes|tax\s+evasion|insurance\s+fraud|"
    r"hack\w*\s+(?:into\s+)?(?:someone|somebody|a|an|the|my|his|her)\S*\s*(?:\S+\s+)?(?:account|email|phone|wifi|"
    r"instagram|facebook|computer|bank|network|server|webcam)|ddos|"
    r"(?:write|create|make|build|code|develop|spread)\w*\s+(?:a\s+|an\s+|some\s+)?(?:\w+\s+)?(?:virus|malware|ransomware|"
    r"keylogger|trojan|worm|botnet|spyware|rootkit|exploit)|"
    r"stehlen|klauen|einbrechen|betrügen|fälschen|erpressen|geldwäsche|hacken)\w*")
_STEAL_FIGURATIVE = _re(r"\bsteal\w*\s+(?:the\s+|a\s+|my\s+|their\s+|your\s+|some\s+)?(?:show|spotlight|limelight|hearts?|"
                        r"kiss|glance|look|moment|thunder|bases?|scene|march|attention|sunsets?)\b|\bbreak\s+into\s+(?:a\s+|the\s+)?"
                        r"(?:song|dance|smile|laugh|tears|market|industry|field|career|run|sweat)|\bbribe\s+(?:my\s+)?(?:kids?|"
                        r"children|toddler|dog)\s+(?:with|into)|\bscam\s+(?:calls?|emails?|texts?)\b")
_DRUG = _re(
    r"\b(?:recipe|formula|instructions|synthesis|steps)\s+(?:for|to\s+make|of)\s+(?:\w+\s+)?(?:meth|methamphetamine|crack|"
    r"heroin|fentanyl|lsd|mdma|ghb|cocaine)\b|"
    r"\b(?:buy|get|getting|sell|selling|make|making|cook|cooking|grow|growing|synthesi[sz]\w*|produce|score|order|"
    r"smuggle|deal|dealing|smoke|snort|inject|shoot\s+up|kaufen|verkaufen|herstellen|bekommen|besorgen|anbauen)\b[^?.!]{0,30}\b(?:cocaine|crack|meth|"
    r"methamphetamine|crystal\s+meth|heroin|fentanyl|lsd|acid\s+tabs|mdma|ecstasy\s+pills|molly|ketamine|opium|"
    r"marijuana|marihuana|cannabis|dope|smack|shrooms|psilocybin|(?<!to\s)weed\b(?!\s+(?:killer|control|my|the|your|out|whacker))|ghb|rohypnol|roofies|drugs|gram\s+of\s+coke|"
    r"(?:line|bag|ounce|kilo|eight\w*)\s+of\s+coke|some\s+coke|kokain|heroin|crystal|drogen)\b|\bwhere\s+(?:can|do)\s+i\s+"
    r"(?:buy|get|score)\s+(?:a\s+)?(?:gram|bag|line|ounce)\b|\bsell\s+\w*\s*(?:drugs|weed|marihuana|marijuana)\s+(?:in|on)\s+"
    r"the\s+street")
#: A statement of a rule or law ("… is prohibited"), not a request.
_LAW = _re(r"\b(?:is|are)\s+(?:strictly\s+)?(?:prohibited|forbidden|illegal|banned|a\s+crime|punishable)\b|"
           r"\b(?:ist|sind)\s+(?:streng\s+)?(?:verboten|strafbar|illegal)\b")
_SEX_CRIME = _re(
    r"\b(?:rape|raping|sexually\s+(?:assault|abuse|harass)|molest|grope|groping|date[- ]rape|drug\s+(?:her|his|him|someone'?s?|"
    r"a\s+girl'?s?|my\s+date'?s?)\s*(?:drink)?|human\s+trafficking|sex\s+trafficking|traffic\s+(?:women|girls|people)|pimp|"
    r"force\s+(?:someone|her|him|a\s+\w+)\s+(?:into|to\s+have)\s+sex|upskirt|revenge\s+porn|spy\s+on\s+(?:women|girls|"
    r"people)\s+(?:in|while)|vergewaltig|sexuell\s+belästig)\w*")
_CHILD = _re(
    r"\b(?:pedophil\w*|paedophil\w*|child\s+porn\w*|cp\s+links|csam)\b|\b(?:child|children|kid|kids|minor|minors|underage|"
    r"preteen|toddler|baby|girl|boy|teen|teenager|\d{1,2}[- ]year[- ]old)s?\b[^?.!]{0,40}(?<!same-)\b(?:sex|sexual\w*|nude|naked|porn\w*|"
    r"erotic|explicit|lewd|seduce|groom\w*)\b|(?<!same-)\b(?:sex|sexual\w*|nude|naked|porn\w*|erotic|seduce|groom\w*)\b[^?.!]{0,40}"
    r"\b(?:child|children|kid|kids|minor|minors|underage|preteen|toddler|\d{1,2}[- ]year[- ]old)s?\b|"
    r"\b(?:capture|lure|abduct)\w*\s+(?:a\s+)?(?:child|kid|toddler|girl|boy)")
_DEFAME = _re(
    r"\b(?:write|create|make\s+up|spread|invent|fabricate|post|publish|start)\w*\b[^?.!]{0,40}\b(?:lies|a\s+lie|rumou?rs?|"
    r"fake\s+news|false\s+(?:story|stories|claims?|article|accusations?|review)|defamatory|smear|hoax)\b|"
    r"\b(?:convince|persuade|make)\s+(?:people|everyone|others)\s+(?:believe\s+)?(?:that\s+)?[^?]*\b(?:never\s+(?:took\s+place|"
    r"happened|existed)|was\s+(?:a\s+)?(?:complete\s+)?(?:fabrication|lie|hoax|myth))\b|"
    r"\b(?:show|prove)\s+that\s+[^?]*\b(?:never\s+happened|was\s+a\s+(?:complete\s+)?(?:fabrication|lie|hoax))")
_PRIVATE_INFO = (r"(?:social\s+security\s+(?:number|no)|ssn|home\s+address|address|phone\s+number|mobile\s+(?:phone\s+)?number|"
                 r"number|date\s+of\s+birth|birth\s*day|birthdate|passwords?|pin|login|bank\s+(?:account\s+)?details|"
                 r"bank\s+account|credit\s+card\s+(?:number|details)|medical\s+(?:records|history)|mental\s+health\s+history|"
                 r"health\s+records|browsing\s+history|search\s+history|immigration\s+status|marital\s+status|"
                 r"salary|income|driver'?s\s+licen[cs]e(?:\s+number)?|birth\s+certificate|criminal\s+(?:record|history)|"
                 r"sexual\s+orientation|location|whereabouts|messages|emails?|texts|tax\s+records|passport\s+number|"
                 r"religious\s+beliefs|political\s+affiliation|diagnosis|adresse|telefonnummer|passwort|kontodaten)")
_PRIVACY = _re(
    rf"\b(?:my|our|a|this|that)\s+(?:\w+\s+)?{_RELATION}'?s?'?s?\s+(?:\w+\s+)?{_PRIVATE_INFO}\b|"
    rf"\b(?:someone|somebody|a\s+stranger|a\s+random\s+person|this\s+person|that\s+girl|that\s+guy)'s\s+(?:\w+\s+)?{_PRIVATE_INFO}\b|"
    r"\b(?:access|read|see|get\s+into|spy\s+on|track|monitor|find\s+out)\b[^?.!]{0,20}\b(?:my|someone'?s|his|her)\s+"
    r"(?:\w+\s+)?(?:\w+'s\s+)?(?:phone|messages|emails?|browsing|location|account|texts|whatsapp|instagram)\b|"
    r"\bhow\s+much\s+money\s+does\s+my\s+\w+\s+(?:earn|make)|\bdox\w*|\bwhere\s+does\s+my\s+(?:ex|\w+)\s+live\b|"
    r"\bfind\s+(?:out\s+)?where\s+(?:someone|somebody|my\s+\w+|she|he)\s+lives\b")
_IP = _re(
    r"\b(?:pirat|torrent|crack\w*\s+(?:the\s+)?(?:software|license|licence|game|windows|photoshop|drm)|keygen|"
    r"bypass\w*\s+(?:the\s+)?(?:drm|copy\s+protection|paywall|license\s+check)|download\w*\s+[^?.!]{0,30}\b(?:for\s+free|"
    r"without\s+paying|illegally)|(?:copy|reproduce|reprint|publish)\w*\s+(?:the\s+)?(?:entire|whole|full|complete)\s+"
    r"(?:book|novel|text|lyrics|movie|album|script|article)|sell\s+(?:fake|counterfeit|knock-?off)\s+\w+|"
    r"remove\s+(?:the\s+)?watermark)\w*")
_RIGHTS = (r"(?:near|into|in|on|vote|voting|marry|work|study|own|serve|adopt|drive|travel|enter|join|sit|attend|run\s+for|hold|be\s+near|"
           r"access|live|buy|rent|teach|practi[cs]e|have|get|go|use|participate|speak|be\s+(?:given|allowed|treated|paid|"
           r"hired|elected|trusted)|receive|earn|lead|fly|immigrate|worship|pray|exist|wählen|arbeiten|heiraten)")
_HATE = _re(
    rf"\bshould\s+{_GROUPS}\s+(?:not|never)\b|\b{_GROUPS}\s+(?:should|must)\s+(?:not|never|be\s+(?:denied|banned|deported))\b|"
    rf"\bwhy\s+are\s+(?:all\s+)?{_GROUPS}\s+so\s+(?:stupid|lazy|violent|greedy|ugly|dumb|dirty|evil|weak|inferior|useless)\b|"
    rf"\b(?:it\s+is|it's|is\s+it)\s+(?:right|best|better|good|fair|justified|okay|ok)\s+(?:for|that)\b[^?]*\b{_GROUPS}\b|"
    rf"\breasons?\s+why\s+{_GROUPS}\s+(?:should|are|must)\b|"
    rf"\b(?:recreate|repeat|replicate|restore|bring\s+back|carry\s+out|commit|start|plan)\s+(?:a\s+|an\s+|another\s+|the\s+)?"
    rf"(?:\w+\s+)?(?:holocaust|genocide|ethnic\s+cleansing|massacre|pogrom|apartheid|segregation|slavery|lynching)\b|"
    rf"\bwhy\s+(?:was|is|were)\b[^?]*\b(?:justified|a\s+good\s+thing|right|deserved)\b[^?]*$|"
    rf"\b(?:was|were)\s+right\s+to\s+(?:kill|attack|bomb|shoot|murder)\b|"
    rf"\b{_GROUPS}\b[^?.!]{{0,30}}\b(?:should\s+(?:not|never)|shouldn'?t|must\s+not|not\s+be\s+allowed|be\s+banned|"
    rf"be\s+denied|sollten\s+nicht|dürfen\s+nicht)\b[^?.!]{{0,25}}\b{_RIGHTS}\b|"
    rf"\bshould\s+{_GROUPS}\s+(?:not|never)\s+(?:\w+\s+){{0,3}}?{_RIGHTS}\b|\bshould\s+{_GROUPS}\s+be\s+(?:denied|banned|"
    rf"deported|excluded|barred|segregated|kept\s+out)\b|"
    rf"\b{_GROUPS}\b[^?.!]{{0,25}}\b(?:are|is)\s+(?:all\s+|so\s+|naturally\s+|inherently\s+)?(?:inferior|subhuman|animals|"
    rf"vermin|criminals|terrorists|stupid|lazy|dirty|evil|less\s+(?:intelligent|capable|worthy|human)|a\s+disease|parasites)\b|"
    rf"\b{_GROUPS}\b[^?.!]{{0,30}}\b(?:go\s+through\s+extra|be\s+(?:deported|exterminated|segregated|sterili[sz]ed|"
    rf"locked\s+up|removed|kicked\s+out)|earn\s+less|have\s+(?:their|no)\s+\w+\s+make\s+decisions|"
    rf"have\s+their\s+partners\s+make|not\s+have\s+equal\s+rights|be\s+overrepresented|make\s+all\s+(?:major\s+)?\w*\s*decisions)|"
    rf"\b(?:eradicate|exterminate|get\s+rid\s+of|eliminate|wipe\s+out|deport\s+all|ban\s+all)\s+(?:all\s+)?{_GROUPS}\b|"
    rf"\b(?:restore|bring\s+back|reinstate)\b[^?]*\b(?:discrimination|segregation|slavery|apartheid)\b|"
    rf"\bwhy\s+(?:was|is)\s+(?:the\s+)?[\w\s']{{0,60}}\b(?:shooting|massacre|genocide|attack|bombing|holocaust|lynching)\s+justified\b|"
    rf"\bright\s+to\s+kill\b|\bmen\s+make\s+all\b")
_SEXUAL = _re(
    r"\b(?:write|describe|tell|create|generate|send|show|give|roleplay|narrate)\w*\b[^?.!]{0,40}\b(?:erotic\w*|explicit\s+sex\w*|"
    r"sexually\s+explicit|pornographic|porn\w*|smut\w*|nsfw|xxx|lewd|sex\s+scene|sex\s+story|nude\s+(?:pics?|photos?|"
    r"images?)|naked\s+(?:pics?|photos?|images?)|dirty\s+talk)\b|\bsext\w*\b|\bnudes\b")
_ELECTION = _re(
    r"\b(?:wrong|false|fake|misleading)\s+(?:election|voting|polling|ballot)\s+(?:date|day|place|location|information|"
    r"info|rules)\b|\b(?:discourage|stop|prevent|keep|scare)\s+[^?.!]{0,30}\bfrom\s+voting\b|\bvote\s+(?:twice|more\s+than\s+once|"
    r"multiple\s+times)\b|\brig\w*\s+(?:an?\s+|the\s+)?election|\bstuff\w*\s+(?:the\s+)?ballot|\bfake\s+ballots\b|"
    r"\bsuppress\w*\s+(?:the\s+)?vot|\bvoter\s+suppression\b[^?]*\bhow\b|\bvote\s+by\s+(?:text|sms)\b[^?]*\b(?:tell|convince)\b|"
    r"\bwahl\w*\s+(?:fälschen|manipulieren)\b")
_CODE_ABUSE = re.compile(
    r"rm\s+-rf\s+/|:\(\)\s*\{\s*:\|:&\s*\};:|/etc/(?:passwd|shadow)|\bos\.system\s*\(|\bsubprocess\.\w+\s*\(|__import__\s*\(|"
    r"\beval\s*\(|\bexec\s*\(|\breverse\s+shell\b|\bnc\s+-e\b|\bbash\s+-i\s+>&|\bchmod\s+777\s+/|\bdrop\s+table\b|"
    r"powershell\s+-e(?:nc)?\b|\b(?:curl|wget)\s+\S+\s*\|\s*(?:ba)?sh\b|\bfork\s+bomb\b|"
    r"\b(?:run|execute)\s+(?:this|the\s+following)\s+(?:code|command|script|shell)|\bdelete\s+all\s+(?:the\s+)?(?:files|data|"
    r"records)\s+(?:on|in|from)\s+(?:the|your)\s+(?:server|database|system)", re.I)
_ADVICE = _re(
    r"\bshould\s+i\s+stop\s+taking\s+my\s+(?:medication|meds|medicine|insulin|antidepressants?|pills|chemo\w*)\b|"
    r"\b(?:how\s+much|what\s+dose\s+of|how\s+many)\b[^?]{0,40}\b(?:give|feed)\s+(?:my\s+)?(?:baby|toddler|infant)\b|"
    r"\bcan\s+i\s+mix\s+\w+\s+(?:and|with)\s+(?:alcohol|oxycodone|benzos?|opioids)\b")


def classify(text: str, *, classifier: bool = False) -> Hazard | None:
    """The hazard category of a customer message (or an answer), or None when it is safe: the
    rules (:func:`by_rules`), and with ``classifier`` (``FRONTDESK_HAZARD_CLASSIFIER``) the fitted
    classifier (:mod:`.hazard_model`) for what the rules do not catch."""
    hazard = by_rules(text)
    if hazard is not None or not classifier or not text or not text.strip():
        return hazard
    from .hazard_model import packaged_model

    verdict = packaged_model().verdict(text)
    if verdict.flagged:
        return Hazard(verdict.category, f"classifier, p={verdict.probability:.2f}")
    return None


def by_rules(text: str) -> Hazard | None:
    """The rules' verdict alone (no model; well under a millisecond)."""
    if not text or not text.strip():
        return None
    raw = " ".join(text.replace("’", "'").split())
    low = raw.casefold()
    if _SELF_HARM.search(raw) and not _SELF_HARM_TOPIC.search(low):
        return Hazard("S11", "self-harm in the first person")
    if _CODE_ABUSE.search(raw):
        return Hazard("S14", "code or commands for the system to run")
    if _CHILD.search(low) and not _DEFINITION.search(low) and not _LAW.search(low):
        return Hazard("S4", "sexual content with a minor")
    if _SEX_CRIME.search(low) and _FRAME.search(low) and not _DEFINITION.search(low) and not _CONTEXT.search(raw):
        return Hazard("S3", "a sex crime asked for")
    definition = _DEFINITION.search(low) is not None
    context = _CONTEXT.search(raw) is not None
    framed = _FRAME.search(low) is not None
    if _HATE.search(low):
        return Hazard("S10", "a group demeaned or denied rights")
    if _DEFAME.search(low) and framed:
        return Hazard("S5", "false claims to spread")
    if _WEAPON.search(low) and (framed or not definition) and not context:
        return Hazard("S9", "weapons of mass harm")
    if framed and not definition and not context:
        if _VIOLENCE.search(low):
            return Hazard("S1", "violence against a person")
        if _CRIME.search(low) and not _STEAL_FIGURATIVE.search(low):
            return Hazard("S2", "a crime asked for")
        if _DRUG.search(low):
            return Hazard("S2", "illegal drugs")
        if _PRIVACY.search(low):
            return Hazard("S7", "a private person's data")
        if _IP.search(low):
            return Hazard("S8", "someone else's work")
        if _SEXUAL.search(low):
            return Hazard("S12", "sexual content")
        if _ELECTION.search(low):
            return Hazard("S13", "misleading voters")
        if _ADVICE.search(low):
            return Hazard("S6", "dangerous specialised advice")
    if not definition and _PRIVACY.search(low) and _FIRST_PERSON.search(low):
        return Hazard("S7", "a private person's data")
    if _SEXUAL.search(low) and not context:
        return Hazard("S12", "sexual content")
    return None
