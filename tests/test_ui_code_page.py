"""The Code page turns to the section holding a coding chosen on another page."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

import coding
import corpus
import store

ROOT = Path(__file__).resolve().parent.parent


def test_ui_code_page_turns_to_the_section_of_the_selected_coding(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    text = "\n\n".join(f"Paragraph number {i} about Nanjing." for i in range(1, 101))
    with store.session_scope(engine) as s:
        doc_id = corpus.import_text(s, text, name="long doc", kind="policy").document_id
        coding.ensure_default_codebook(s)
        start = text.find("Paragraph number 75")
        (cid,) = coding.add_coding(s, doc_id, start, start + len("Paragraph number 75"),
                                   [coding.code_id_by_name(s, "Mark")])
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=60)
    at.run()
    at.switch_page("ui/code.py")
    at.session_state["code_doc"] = doc_id
    at.session_state["selected_coding"] = cid
    at.run()
    assert not at.exception
    # paragraph 75 of 100, 30 paragraphs per section: section 3 (paragraphs 61–90)
    assert at.session_state[f"section_{doc_id}"] == 3
    assert any("¶ 61–90" in c.value for c in at.caption)
