"""Every project table has a deliberate write permission (team mode): a table added by a new
feature cannot fall to "owner only" by accident, nor open to viewers."""
from __future__ import annotations

import store
from team.roles import PERMISSIONS, table_action

#: Tables only an owner writes, on purpose (the project's content and settings, users).
OWNER_ONLY = {"documents", "segments", "place_mentions", "cities", "project_info", "codes", "code_variable_map",
              "code_dimension_map", "users", "login_attempts", "directed_dyads", "directed_dyad_attributes"}


def test_each_table_has_a_deliberate_action():
    from team.roles import _TABLES

    tables = set(store.Base.metadata.tables)
    undecided = tables - set(_TABLES) - OWNER_ONLY
    assert not undecided, f"decide who may write {sorted(undecided)} in team/roles.py"


def test_the_assistant_is_a_coders_tool():
    # a coder prepares semantic search (embeddings) and asks the local LLM (its audit log); a viewer may not
    for table in ("unit_embeddings", "llm_exchanges", "suggestions", "codings"):
        action = table_action(table)
        assert action in PERMISSIONS["coder"] and action not in PERMISSIONS["viewer"]
    assert table_action("project_info") not in PERMISSIONS["coder"]  # the LLM endpoint is an owner's setting
