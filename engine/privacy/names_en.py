"""Common English given names (US/UK) for the offline English name recogniser.

No English NER model ships in a registry reachable here (Presidio's default wants spaCy's
en_core_web_lg), so English names are found by this list plus titles ("Mr", "Dr") and the
capitalised surname that follows. Names that are also ordinary words are in `AMBIGUOUS`: they
count only with a surname after them or a title / "named" before them.
"""

from __future__ import annotations

_GIVEN_NAMES = """
aaron abigail adam adrian aiden alan albert alex alexander alexandra alfie alice alicia allison amanda amelia amy
andrea andrew andy angela anna anne anthony antonio archie arthur ashley audrey austin ava barbara becky benjamin
ben beth betty beverly brandon brenda brian brittany bruce bryan caleb callum cameron carl carlos caroline catherine
charles charlie charlotte chloe chris christina christine christopher cindy claire clara cody connor craig cynthia
dan daniel danielle dave david deborah debra denise dennis derek diana diane donald donna dorothy douglas dylan
edward elena elijah elizabeth ella ellen emily emma eric erica erin ethan eugene evelyn frances freya gabriel gary
george gerald gloria gregory hannah harold harry harvey heather helen henry isaac isabella isla jacob jacqueline
james jamie janet janice jason jeffrey jen jennifer jenny jeremy jerry jesse jessica jim jimmy joan joe joel john
johnny jonathan jordan jose joseph josh joshua joyce juan judith judy julia julie justin karen kate katherine
kathleen kathryn katie keith kelly kenneth kevin kieran kimberly kyle larry laura lauren lawrence leah liam linda
lisa liz logan louis lucas lucy madison maisie margaret maria marie marilyn martha martin mary matt matthew megan
melissa mia michael michelle mike natalie nathan nicholas nicole noah oliver olivia ollie oscar pamela patricia
patrick paul peter philip rachel ralph raymond rebecca richard robert roger ronald ruth ryan sam samantha samuel
sandra sara sarah scott sean sharon shirley sophia sophie stephanie stephen steve steven susan teresa theo thomas
tim timothy tom tony tyler victoria vincent virginia walter wayne william zachary
"""

#: given names that are also ordinary English words ("Will you...", "in May", "Mark the date")
_AMBIGUOUS = """
will mark may june april august bill grace hope joy faith rose lily art frank sue pat rob bob ray dawn summer max
chase miles jack amber ruby daisy poppy jean christian nick carol iris sandy leo victor penny holly
"""

#: capitalised words after a name that are not its surname
_NOT_SURNAMES = """
i i'm i'll i've i'd the a an and or but if so to at on in of for from with about tomorrow today tonight yesterday
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december please thanks ok okay yes no
"""

_TITLES = "mr mrs ms miss mx dr prof sir madam lady lord"

GIVEN_NAMES = frozenset(_GIVEN_NAMES.split())
AMBIGUOUS = frozenset(_AMBIGUOUS.split())
NOT_SURNAMES = frozenset(_NOT_SURNAMES.split())
TITLES = frozenset(_TITLES.split())
