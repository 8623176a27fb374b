"""Tandem's starting codebook for the study of cross-city service collaboration.

Four categories (not codable) hold eleven codes: the two behaviours found in the
fieldwork (Mark, Hole), the six factors of the Needs–Supply framework and the three
dimensions of collaboration. Definitions, criteria and examples were written by the
Tandem team from the study's framework; researchers edit them freely in the project.

Colours are light tints, so dark text stays readable over them as a highlight
(contrast with black text of at least 12:1).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CodeSpec:
    """One node of a codebook template; ``children`` makes it a subtree."""

    name: str
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    example: str = ""
    colour: str = "#999999"
    codable: bool = True
    children: tuple["CodeSpec", ...] = field(default_factory=tuple)


DEFAULT_CODEBOOK: tuple[CodeSpec, ...] = (
    CodeSpec(
        name="Behaviour",
        definition="How officials at different levels act towards the cross-city reform as a task "
        "handed down and assessed from above.",
        colour="#F2D4CC",
        codable=False,
        children=(
            CodeSpec(
                name="Mark",
                definition="A lower level sends a signal upward that the task is done — for instance "
                "by announcing many partner cities or signing framework agreements — without the "
                "substance of joint service delivery behind it.",
                inclusion="Accounts of agreements signed, partner counts publicised or reports filed "
                "mainly to be seen by superiors, when the speaker or the document shows that little "
                "or no service is delivered under them.",
                exclusion="Agreements that do carry working service items (code the dimension "
                "instead); pressure from superiors itself (Organizational needs).",
                example="We signed with thirty cities that spring because the province counted the "
                "signatures; only a handful of those agreements ever had a service list.",
                colour="#FFB8B0",
            ),
            CodeSpec(
                name="Hole",
                definition="The upper level, to keep grass-roots officials motivated, leaves some steps "
                "of the task unexamined, so that what happens after signing is not checked.",
                inclusion="Statements that assessment stops at the signing, counts agreements but not "
                "cases handled, or deliberately tolerates thin implementation.",
                exclusion="Signals sent upward by the lower level (Mark); a lack of staff or money to "
                "check (Administrative or Financial supply).",
                example="The assessment form only asks how many cities you have agreements with; "
                "nobody from the province has ever asked how many files were actually forwarded.",
                colour="#FFD49A",
            ),
        ),
    ),
    CodeSpec(
        name="Needs",
        definition="Reasons a pair of cities has to collaborate: demand from people, from regional "
        "plans and from the administrative hierarchy.",
        colour="#D3E0F5",
        codable=False,
        children=(
            CodeSpec(
                name="Social needs",
                definition="Demand created by the size and direction of population flows between the "
                "two cities: migrant workers, students, retirees and firms registered in one city and "
                "living or operating in the other.",
                inclusion="Mentions of migrants, people from city B working in city A, requests from "
                "citizens or firms of the partner city, flows used to choose partners.",
                exclusion="Ties justified by a regional plan without reference to people moving "
                "(Regional needs).",
                example="Almost every third applicant at our window comes from Fuyang, so Fuyang was "
                "the first city we approached.",
                colour="#A9D6FF",
            ),
            CodeSpec(
                name="Regional needs",
                definition="Ties the two cities share under a common regional strategy, such as both "
                "belonging to the Yangtze River Delta integration plan or another regional programme.",
                inclusion="References to a regional integration plan, metropolitan circle or "
                "cooperation zone as the reason for, or frame of, the agreement.",
                exclusion="Instructions or rankings from superiors that are not tied to a regional "
                "plan (Organizational needs).",
                example="Both cities are in the Delta plan, so cross-city handling was written into "
                "the integration work points for this year.",
                colour="#B8EBD5",
            ),
            CodeSpec(
                name="Organizational needs",
                definition="Pressure from above and from peers: performance assessment, pilot "
                "designations, rankings and comparison with neighbouring governments.",
                inclusion="Assessment indicators, targets set by the province or the centre, pilot "
                "status, league tables, fear of falling behind other cities.",
                exclusion="The lower level's symbolic reply to that pressure (Mark) and the upper "
                "level's tolerance of it (Hole).",
                example="The provincial ranking of the business environment now has an item for "
                "cross-city services, and no mayor wants to be at the bottom of it.",
                colour="#CDC6FF",
            ),
        ),
    ),
    CodeSpec(
        name="Supply",
        definition="What a city can bring to a collaboration: money, administrative capacity and "
        "personal ties between officials.",
        colour="#EDE7C0",
        codable=False,
        children=(
            CodeSpec(
                name="Financial supply",
                definition="Budget and fiscal capacity available for cross-city services: funds for "
                "systems, mail and courier costs, windows and training.",
                inclusion="Statements about budgets, fiscal strength, who pays for integration or "
                "delivery, costs that block or enable an agreement.",
                exclusion="Staff numbers and hall capacity without reference to money "
                "(Administrative supply).",
                example="Linking our approval system to theirs costs money the district simply does "
                "not have this year.",
                colour="#FFF0A6",
            ),
            CodeSpec(
                name="Administrative supply",
                definition="Administrative capacity: staff who can receive and check files for another "
                "city, service-hall windows, delegated powers and working systems.",
                inclusion="Staffing of windows, workload, training, delegated powers of receipt or "
                "preliminary examination, capacity of the service hall.",
                exclusion="Money for that capacity (Financial supply); relations between particular "
                "officials (Personal-relationship supply).",
                example="We have two people on the cross-city window and they already handle our own "
                "residents' files all day.",
                colour="#E9CBA7",
            ),
            CodeSpec(
                name="Personal-relationship supply",
                definition="Ties between officials of the two cities, above all a shared career "
                "history: having served in the same place, the same unit or under the same leader.",
                inclusion="Officials who worked together before, transfers between the two cities, "
                "informal contacts used to start or speed up an agreement.",
                exclusion="Formal contacts through a regional body (Regional needs) or through "
                "assessment (Organizational needs).",
                example="Their deputy director used to work in our bureau, so one phone call was "
                "enough to set up the first meeting.",
                colour="#FFC2D1",
            ),
        ),
    ),
    CodeSpec(
        name="Dimensions",
        definition="The three outcomes of collaboration the study explains, measured at the city or "
        "the dyad level.",
        colour="#DCEEDA",
        codable=False,
        children=(
            CodeSpec(
                name="Breadth",
                definition="How many partner cities a city has: the number of cities it has signed "
                "cross-city service agreements with.",
                inclusion="Counts or lists of a city's partners, plans to add partners, comparisons "
                "of how many partners cities have.",
                exclusion="Whether one particular pair collaborates (Connection); how much a pair "
                "does together (Degree).",
                example="By the end of the year the city had agreements with more than forty cities "
                "in nine provinces.",
                colour="#C6F0A9",
            ),
            CodeSpec(
                name="Connection",
                definition="Whether a given pair of cities collaborates at all, i.e. whether the dyad "
                "has signed an agreement.",
                inclusion="The signing, refusal, absence or ending of an agreement between two "
                "named cities.",
                exclusion="The number of partners of one city (Breadth); the number of service items "
                "of a pair (Degree).",
                example="We never reached an agreement with the neighbouring city, although the two "
                "halls are twenty minutes apart.",
                colour="#A8E2E6",
            ),
            CodeSpec(
                name="Degree",
                definition="How much a collaborating pair of cities actually delivers: the number of "
                "service items the two cities handle for each other.",
                inclusion="Lists or counts of service items, items added or dropped, files actually "
                "handled under an existing agreement.",
                exclusion="Pairs without an agreement (Connection); partner counts (Breadth).",
                example="The agreement started with twelve items; two years later it covers "
                "eighty-six, from pension certification to business licences.",
                colour="#EDB8F5",
            ),
        ),
    ),
)
"""The default tree: four categories, eleven codable codes."""


DEFAULT_VARIABLE_MAP: dict[str, list[str]] = {
    "Social needs": ["log_gravity", "log_pop"],
    "Regional needs": ["same_strategy", "in_strategy"],
    "Organizational needs": ["capital_any", "capital"],
    "Financial supply": ["urban_share_min", "urban_share"],
    "Administrative supply": ["log_pop_min"],
    "Personal-relationship supply": ["same_province"],
}
"""Code name -> model variables (regression terms) the code speaks to, as in the demo data."""


_ALL_DIMENSIONS = ["breadth", "connection", "degree"]

DEFAULT_DIMENSION_MAP: dict[str, list[str]] = {
    "Mark": list(_ALL_DIMENSIONS),
    "Hole": list(_ALL_DIMENSIONS),
    "Social needs": list(_ALL_DIMENSIONS),
    "Regional needs": list(_ALL_DIMENSIONS),
    "Organizational needs": list(_ALL_DIMENSIONS),
    "Financial supply": list(_ALL_DIMENSIONS),
    "Administrative supply": list(_ALL_DIMENSIONS),
    "Personal-relationship supply": list(_ALL_DIMENSIONS),
    "Breadth": ["breadth"],
    "Connection": ["connection"],
    "Degree": ["degree"],
}
"""Code name -> collaboration dimensions its passages are evidence for (``coding.codes.dimensions``).

Mark and Hole speak to no single model term but to every dimension (the study's argument is that
the signal of task completion and the upper level's tolerance of it act differently on breadth,
connection and degree). Each Needs–Supply factor is measured for every dimension's model, so
its passages are evidence for all three (which factor *matters* where is the decoupling table's
question, not the map's). Each dimension code is evidence for its own dimension (domain.md)."""


AUTO_COLOURS: tuple[str, ...] = (
    "#FFCFA8", "#B3E5FC", "#D7F5B0", "#F5C2D9", "#FFE8A3", "#C5CAF7", "#B2EFE0", "#F0D0B8",
    "#E1C9F5", "#D0F0F7", "#F7DDB5", "#C8E6C9", "#FAD4D4", "#DDE3A8", "#C9DDF0", "#EBD3EA",
)
"""Light tints handed to new codes created without a colour (first unused one wins)."""
