"""Case-selection rules against MMRcaseselection's published output for lm(mpg ~ disp + wt, mtcars).

Published values: the package's reference pages (github.com/ingorohlfing/MMRcaseselection,
docs/reference/*.md: most_typical, most_deviant, most_overpredicted, most_underpredicted,
predint(piwidth = 0.9), extreme_on_x(df, "wt"), extreme_on_y, pathway(full, lm(mpg ~ wt))) and
the vignette "Classification as typical and deviant" (residual.scale 2.916555). The OLS fit is
done here with numpy's lstsq, independently of Tandem. Where no number is published (extreme on
disp, residstd with stdshare = 1) the expected value is computed here by hand from the data or
from the published residuals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from quant.cases import rules as cr
from quant.cases import rules_more as crm
from quant.errors import QuantError

# mtcars (R datasets): car, mpg, disp, wt — in R's row order.
MTCARS = [
    ("Mazda RX4", 21.0, 160.0, 2.620), ("Mazda RX4 Wag", 21.0, 160.0, 2.875),
    ("Datsun 710", 22.8, 108.0, 2.320), ("Hornet 4 Drive", 21.4, 258.0, 3.215),
    ("Hornet Sportabout", 18.7, 360.0, 3.440), ("Valiant", 18.1, 225.0, 3.460),
    ("Duster 360", 14.3, 360.0, 3.570), ("Merc 240D", 24.4, 146.7, 3.190),
    ("Merc 230", 22.8, 140.8, 3.150), ("Merc 280", 19.2, 167.6, 3.440),
    ("Merc 280C", 17.8, 167.6, 3.440), ("Merc 450SE", 16.4, 275.8, 4.070),
    ("Merc 450SL", 17.3, 275.8, 3.730), ("Merc 450SLC", 15.2, 275.8, 3.780),
    ("Cadillac Fleetwood", 10.4, 472.0, 5.250), ("Lincoln Continental", 10.4, 460.0, 5.424),
    ("Chrysler Imperial", 14.7, 440.0, 5.345), ("Fiat 128", 32.4, 78.7, 2.200),
    ("Honda Civic", 30.4, 75.7, 1.615), ("Toyota Corolla", 33.9, 71.1, 1.835),
    ("Toyota Corona", 21.5, 120.1, 2.465), ("Dodge Challenger", 15.5, 318.0, 3.520),
    ("AMC Javelin", 15.2, 304.0, 3.435), ("Camaro Z28", 13.3, 350.0, 3.840),
    ("Pontiac Firebird", 19.2, 400.0, 3.845), ("Fiat X1-9", 27.3, 79.0, 1.935),
    ("Porsche 914-2", 26.0, 120.3, 2.140), ("Lotus Europa", 30.4, 95.1, 1.513),
    ("Ford Pantera L", 15.8, 351.0, 3.170), ("Ferrari Dino", 19.7, 145.0, 2.770),
    ("Maserati Bora", 15.0, 301.0, 3.570), ("Volvo 142E", 21.4, 121.0, 2.780),
]

# pathway(lm(mpg ~ disp + wt), lm(mpg ~ wt)): car, full_resid, reduced_resid, pathway_wb,
# pathway_gvalue, pathway_gtype (published, docs/reference/pathway.md).
PATHWAY = [
    ("Mazda RX4", -2.34543258, -2.2826106, -0.06282193, 0.06282193, "no"),
    ("Mazda RX4 Wag", -1.49097212, -0.9197704, -0.57120172, 0.57120172, "no"),
    ("Datsun 710", -2.47236688, -2.0859521, -0.38641476, 0.38641476, "no"),
    ("Hornet 4 Drive", 1.78533343, 1.2973499, -0.48798349, 0.48798349, "no"),
    ("Hornet Sportabout", 1.64719305, -0.2001440, -1.44704909, 1.84733701, "no"),
    ("Valiant", -1.27863092, -0.6932545, -0.58537640, 0.58537640, "no"),
    ("Duster 360", -2.31719966, -3.9053627, 1.58816299, 1.58816299, "yes"),
    ("Merc 240D", 2.72879876, 4.1637381, 1.43493939, 1.43493939, "yes"),
    ("Merc 230", 0.89018976, 2.3499593, 1.45976953, 1.45976953, "yes"),
    ("Merc 280", -1.26304775, 0.2998560, -0.96319171, 1.56290379, "no"),
    ("Merc 280C", -2.66304775, -1.1001440, -1.56290379, 1.56290379, "no"),
    ("Merc 450SE", -0.03421046, 0.8668731, 0.83266267, 0.90108359, "yes"),
    ("Merc 450SL", -0.27349107, -0.0502472, -0.22324387, 0.22324387, "no"),
    ("Merc 450SLC", -2.20594981, -1.8830236, -0.32292618, 0.32292618, "no"),
    ("Cadillac Fleetwood", 1.39735826, 1.1733496, -0.22400867, 0.22400867, "no"),
    ("Lincoln Continental", 1.76770494, 2.1032876, 0.33558271, 0.33558271, "yes"),
    ("Chrysler Imperial", 5.44849485, 5.9810744, 0.53257954, 0.53257954, "yes"),
    ("Fiat 128", 6.20619907, 6.8727113, 0.66651222, 0.66651222, "yes"),
    ("Honda Civic", 2.19279202, 1.7461954, -0.44659660, 0.44659660, "no"),
    ("Toyota Corolla", 6.34843977, 6.4219792, 0.07353940, 0.07353940, "yes"),
    ("Toyota Corona", -3.07202780, -2.6110037, -0.46102406, 0.46102406, "no"),
    ("Dodge Challenger", -2.02918018, -2.9725862, 0.94340605, 0.94340605, "yes"),
    ("AMC Javelin", -2.86214676, -3.7268663, 0.86471956, 0.86471956, "yes"),
    ("Camaro Z28", -2.58972426, -3.4623553, 0.87263107, 0.87263107, "yes"),
    ("Pontiac Firebird", 4.21326708, 2.4643670, -1.74890005, 1.74890005, "no"),
    ("Fiat X1-9", 0.22354778, 0.3564263, 0.13287854, 0.13287854, "yes"),
    ("Porsche 914-2", 0.34249891, 0.1520430, -0.19045591, 0.19045591, "no"),
    ("Lotus Europa", 2.19486787, 1.2010593, -0.99380855, 0.99380855, "no"),
    ("Ford Pantera L", -2.31705249, -4.5431513, 2.22609879, 2.22609879, "yes"),
    ("Ferrari Dino", -3.40867994, -2.7809399, -0.62774003, 0.62774003, "no"),
    ("Maserati Bora", -2.66295957, -3.2053627, 0.54240308, 0.54240308, "yes"),
    ("Volvo 142E", -2.10056555, -1.0274952, -1.07307036, 1.07307036, "no"),
]

# predint(df, piwidth = 0.9): car, fit, lwr, upr, status (published, docs/reference/predint.md).
PREDINT90 = [
    ("Mazda RX4", 23.345433, 18.283456, 28.40741, "typical"), ("Mazda RX4 Wag", 22.490972, 17.423867, 27.55808, "typical"),
    ("Datsun 710", 25.272367, 20.162824, 30.38191, "typical"), ("Hornet 4 Drive", 19.614667, 14.563903, 24.66543, "typical"),
    ("Hornet Sportabout", 17.052807, 11.759861, 22.34575, "typical"), ("Valiant", 19.378631, 14.315024, 24.44224, "typical"),
    ("Duster 360", 16.617200, 11.384029, 21.85037, "typical"), ("Merc 240D", 21.671201, 16.482348, 26.86005, "typical"),
    ("Merc 230", 21.909810, 16.715283, 27.10434, "typical"), ("Merc 280", 20.463048, 15.241708, 25.68439, "typical"),
    ("Merc 280C", 20.463048, 15.241708, 25.68439, "typical"), ("Merc 450SE", 16.434210, 11.280831, 21.58759, "typical"),
    ("Merc 450SL", 17.573491, 12.515664, 22.63132, "typical"), ("Merc 450SLC", 17.405950, 12.339554, 22.47235, "typical"),
    ("Cadillac Fleetwood", 9.002642, 3.637621, 14.36766, "typical"), ("Lincoln Continental", 8.632295, 3.206218, 14.05837, "typical"),
    ("Chrysler Imperial", 9.251505, 3.839323, 14.66369, "deviant"), ("Fiat 128", 26.193801, 21.043418, 31.34418, "deviant"),
    ("Honda Civic", 28.207208, 22.953215, 33.46120, "typical"), ("Toyota Corolla", 27.551560, 22.364024, 32.73910, "deviant"),
    ("Toyota Corona", 24.572028, 19.477070, 29.66699, "typical"), ("Dodge Challenger", 17.529180, 12.421144, 22.63722, "typical"),
    ("AMC Javelin", 18.062147, 12.968523, 23.15577, "typical"), ("Camaro Z28", 15.889724, 10.767485, 21.01196, "typical"),
    ("Pontiac Firebird", 14.986733, 9.692819, 20.28065, "typical"), ("Fiat X1-9", 27.076452, 21.909290, 32.24361, "typical"),
    ("Porsche 914-2", 25.657501, 20.527806, 30.78720, "typical"), ("Lotus Europa", 28.205132, 22.867032, 33.54323, "typical"),
    ("Ford Pantera L", 18.117052, 12.715793, 23.51831, "typical"), ("Ferrari Dino", 23.108680, 18.029629, 28.18773, "typical"),
    ("Maserati Bora", 17.662960, 12.597715, 22.72820, "typical"), ("Volvo 142E", 23.500566, 18.364678, 28.63645, "typical"),
]

# extreme_on_x(df, "wt"), first rows: car, abs. extremeness (published).
EXTREME_WT_TOP = [("Lincoln Continental", 2.20675), ("Chrysler Imperial", 2.12775),
                  ("Cadillac Fleetwood", 2.03275), ("Lotus Europa", 1.70425), ("Honda Civic", 1.60225)]
# extreme_on_y(df), first rows (Honda Civic and Lotus Europa tie at 10.309375).
EXTREME_Y_TOP = [("Toyota Corolla", 13.809375), ("Fiat 128", 12.309375)]


@pytest.fixture(scope="module")
def mt():
    frame = pd.DataFrame(MTCARS, columns=["car", "mpg", "disp", "wt"])
    X = np.column_stack([np.ones(len(frame)), frame["disp"], frame["wt"]])
    beta, *_ = np.linalg.lstsq(X, frame["mpg"].to_numpy(), rcond=None)
    fitted = X @ beta
    Xr = np.column_stack([np.ones(len(frame)), frame["wt"]])
    br, *_ = np.linalg.lstsq(Xr, frame["mpg"].to_numpy(), rcond=None)
    table = cr.case_table(frame[["car"]], frame["mpg"], fitted, frame["mpg"] - fitted, "raw residual y - fitted")
    return {"frame": frame, "X": X, "table": table, "reduced": frame["mpg"].to_numpy() - Xr @ br}


def test_most_typical_deviant_over_under_match_published(mt):
    t = mt["table"]
    typ = cr.typical(t, c=1e9, n=1)
    assert typ["car"].tolist() == ["Merc 450SE"]
    assert typ["abs_residual"].iloc[0] == pytest.approx(0.03421046, abs=1e-8)
    dev = cr.deviant(t, c=0.0, n=1)
    assert dev["car"].tolist() == ["Toyota Corolla"]
    assert dev["score"].iloc[0] == pytest.approx(6.34844, abs=1e-5)
    over = cr.overpredicted(t, n=1)
    assert over["car"].tolist() == ["Ferrari Dino"] and over["residual"].iloc[0] == pytest.approx(-3.40868, abs=1e-5)
    under = cr.underpredicted(t, n=1)
    assert under["car"].tolist() == ["Toyota Corolla"] and under["residual"].iloc[0] == pytest.approx(6.34844, abs=1e-5)
    # Over-predicted lists only negative residuals, under-predicted only positive ones.
    assert (cr.overpredicted(t, n=None)["residual"] < 0).all()
    assert len(cr.overpredicted(t, n=None)) + len(cr.underpredicted(t, n=None)) == 32


def test_residstd_share_one_uses_model_sigma(mt):
    out = cr.deviant_residstd(mt["table"], k=3, stdshare=1.0, n=None)
    assert out["residual_scale"].iloc[0] == pytest.approx(2.916555, abs=1e-6)  # vignette
    published = {car: full for car, full, *_ in PATHWAY}
    expected = sorted((c for c, e in published.items() if abs(e) > 2.916555), key=lambda c: -abs(published[c]))
    assert out["car"].tolist() == expected
    assert expected == ["Toyota Corolla", "Fiat 128", "Chrysler Imperial", "Pontiac Firebird",
                        "Ferrari Dino", "Toyota Corona"]
    assert set(out["status"]) == {"deviant"}
    every = cr.deviant_residstd(mt["table"], k=3, stdshare=1.5, n=None, all_rows=True)
    assert len(every) == 32
    # stdshare 1.5 (vignette): the first six cars are typical.
    head = every.set_index("car").loc[["Mazda RX4", "Mazda RX4 Wag", "Datsun 710", "Hornet 4 Drive",
                                      "Hornet Sportabout", "Valiant"], "status"]
    assert set(head) == {"typical"}


def test_predint_matches_published_90_percent_interval(mt):
    out = cr.deviant_predint(mt["table"], mt["X"], piwidth=0.9, n=None, all_rows=True).set_index("car")
    pub = pd.DataFrame(PREDINT90, columns=["car", "fit", "lwr", "upr", "status"]).set_index("car")
    out = out.loc[pub.index]
    np.testing.assert_allclose(out["predicted"], pub["fit"], atol=1e-6)
    np.testing.assert_allclose(out["lower"], pub["lwr"], atol=1e-5)
    np.testing.assert_allclose(out["upper"], pub["upr"], atol=1e-5)
    assert out["status"].tolist() == pub["status"].tolist()
    dev = cr.deviant_predint(mt["table"], mt["X"], piwidth=0.9, n=None)
    assert sorted(dev["car"]) == ["Chrysler Imperial", "Fiat 128", "Toyota Corolla"]
    assert (np.diff(dev["score"]) <= 0).all() and (dev["score"] > stats.t.ppf(0.95, 29)).all()
    with pytest.raises(QuantError, match="between 0 and 1"):
        cr.deviant_predint(mt["table"], mt["X"], piwidth=1.0)


def test_extreme_on_x_and_y(mt):
    f, t = mt["frame"], mt["table"]
    wt = cr.extreme_x(t, f["wt"], "wt", n=5)
    assert wt["car"].tolist() == [c for c, _ in EXTREME_WT_TOP]
    np.testing.assert_allclose(wt["score"], [v for _, v in EXTREME_WT_TOP], atol=1e-5)
    assert wt["difference"].iloc[3] == pytest.approx(-1.70425, abs=1e-5)  # Lotus Europa, signed
    # disp: no published table; by hand, mean disp = 7383.1/32 = 230.721875.
    disp = cr.extreme_x(t, f["disp"], "disp", n=None)
    mean = sum(d for _, _, d, _ in MTCARS) / 32
    assert mean == pytest.approx(230.721875)
    by_hand = sorted(((abs(d - mean), c) for c, _, d, _ in MTCARS), key=lambda x: (-round(x[0], 10), x[1]))
    assert disp["car"].tolist() == [c for _, c in by_hand]
    assert disp["car"].iloc[0] == "Cadillac Fleetwood" and disp["difference"].iloc[0] == pytest.approx(472 - mean)
    sd = np.std([d for _, _, d, _ in MTCARS], ddof=1)
    assert disp["sd_units"].iloc[0] == pytest.approx((472 - mean) / sd)
    y = cr.extreme_y(t, variable="mpg", n=6)
    assert y["car"].tolist()[:2] == [c for c, _ in EXTREME_Y_TOP]
    np.testing.assert_allclose(y["score"].iloc[:2], [v for _, v in EXTREME_Y_TOP], atol=1e-6)
    # Honda Civic and Lotus Europa tie (|30.4 - 20.090625|): the id decides, alphabetically.
    assert y["car"].tolist()[2:4] == ["Honda Civic", "Lotus Europa"]
    # Cadillac Fleetwood and Lincoln Continental tie below the mean.
    assert y["car"].tolist()[4:6] == ["Cadillac Fleetwood", "Lincoln Continental"]
    assert y["difference"].iloc[4] == pytest.approx(-9.690625)


def test_pathway_matches_published(mt):
    out = crm.pathway(mt["table"], mt["reduced"], variable="disp", n=None).set_index("car")
    pub = pd.DataFrame(PATHWAY, columns=["car", "full", "reduced", "wb", "gvalue", "gtype"]).set_index("car")
    out = out.loc[pub.index]
    np.testing.assert_allclose(out["full_residual"], pub["full"], atol=1e-7)
    np.testing.assert_allclose(out["reduced_residual"], pub["reduced"], atol=1e-6)
    np.testing.assert_allclose(out["pathway_wb"], pub["wb"], atol=1e-6)
    np.testing.assert_allclose(out["pathway_gvalue"], pub["gvalue"], atol=1e-6)
    assert out["pathway_gtype"].tolist() == pub["gtype"].tolist()
    top = crm.pathway(mt["table"], mt["reduced"], variable="disp", n=2)
    assert top["car"].tolist() == ["Ford Pantera L", "Duster 360"]  # largest published pathway_wb


def test_cooks_distance_matches_statsmodels(mt):
    from statsmodels.stats.outliers_influence import OLSInfluence
    import statsmodels.api as sm

    f = mt["frame"]
    res = sm.OLS(f["mpg"].to_numpy(), mt["X"]).fit()
    infl = OLSInfluence(res)
    e = mt["table"]["residual"].to_numpy()
    sigma2 = float(e @ e) / (32 - 3)
    got = crm.glm_influence(mt["X"], f["mpg"], mt["table"]["predicted"], family="gaussian", scale=sigma2)
    np.testing.assert_allclose(got["cooks"], infl.cooks_distance[0], rtol=1e-9)
    np.testing.assert_allclose(got["leverage"], infl.hat_matrix_diag, rtol=1e-9)
    top = crm.influential(mt["table"], got["cooks"], got["leverage"], n=3)
    assert top["car"].tolist() == list(f["car"].to_numpy()[np.argsort(-infl.cooks_distance[0])[:3]])


@pytest.mark.parametrize("family", ["poisson", "logit", "nb"])
def test_glm_cooks_distance_matches_statsmodels(family):
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(80), rng.normal(size=80), rng.uniform(size=80)])
    eta = 0.3 + 0.6 * X[:, 1] - 0.5 * X[:, 2]
    if family == "logit":
        y = (rng.random(80) < 1 / (1 + np.exp(-eta))).astype(float)
        fam = sm.families.Binomial()
    elif family == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
        fam = sm.families.Poisson()
    else:
        y = rng.negative_binomial(2, 2 / (2 + np.exp(eta))).astype(float)
        fam = sm.families.NegativeBinomial(alpha=0.5)
    res = sm.GLM(y, X, family=fam).fit()
    infl = res.get_influence()
    got = crm.glm_influence(X, y, res.fittedvalues, family=family, alpha=0.5 if family == "nb" else None)
    if family != "nb":
        np.testing.assert_allclose(got["leverage"], infl.hat_matrix_diag, rtol=1e-7)
        np.testing.assert_allclose(got["cooks"], infl.cooks_distance[0], rtol=1e-6)
        return
    # NB2 with a log link is not canonical: statsmodels' default influence uses the observed
    # information; Tandem uses the expected one (Williams 1987), which statsmodels gives too.
    h = res.get_hat_matrix_diag(observed=False)
    np.testing.assert_allclose(got["leverage"], h, rtol=1e-7)
    np.testing.assert_allclose(got["cooks"], res.resid_pearson**2 * h / (3 * (1 - h) ** 2), rtol=1e-6)


def test_binomial_with_trials_cooks_distance_matches_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    X = np.column_stack([np.ones(60), rng.normal(size=60)])
    m = np.full(60, 29.0)
    y = rng.binomial(29, 1 / (1 + np.exp(-(-1.0 + 0.5 * X[:, 1])))).astype(float)
    res = sm.GLM(np.column_stack([y, m - y]), X, family=sm.families.Binomial()).fit()
    infl = res.get_influence()
    got = crm.glm_influence(X, y, m * res.fittedvalues, family="binomial", trials=m)
    np.testing.assert_allclose(got["leverage"], infl.hat_matrix_diag, rtol=1e-7)
    np.testing.assert_allclose(got["cooks"], infl.cooks_distance[0], rtol=1e-6)


def test_similar_and_different_pairs_by_hand():
    # Five units, one control; unit ids a..e.
    ids = pd.DataFrame({"city": list("abcde")})
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    control = np.array([0.0, 0.1, 5.0, 9.0, 10.0])
    t = cr.case_table(ids, y, np.full(5, 0.4), y - 0.4, "raw")
    sim = crm.similar_pairs(t, control[:, None], y, key_name="y", n=1)
    # Closest pair differing on y: a–b (control distance 0.1 in raw units).
    assert sorted(sim["city"]) == ["a", "b"] and set(sim["member"]) == {1, 2}
    sd = control.std(ddof=1)
    assert sim["distance"].iloc[0] == pytest.approx(0.1 / sd)
    assert sim["score"].iloc[0] == pytest.approx(1 / (1 + 0.1 / sd))
    diff = crm.different_pairs(t, control[:, None], y, key_name="y", n=1)
    # Farthest pair with the same outcome: a–e (0 and 10).
    assert sorted(diff["city"]) == ["a", "e"]
    assert diff.loc[diff["city"] == "a", "partner"].iloc[0] == "e"


def test_mahalanobis_whitening_matches_direct_formula():
    rng = np.random.default_rng(1)
    C = rng.normal(size=(40, 3)) @ np.array([[1, 0.5, 0.2], [0, 1, 0.7], [0, 0, 1]])
    W = crm.standardize(C)
    Z = (C - C.mean(0)) / C.std(0, ddof=1)
    Rinv = np.linalg.inv(np.corrcoef(Z, rowvar=False))
    d = Z[3] - Z[17]
    assert np.linalg.norm(W[3] - W[17]) == pytest.approx(np.sqrt(d @ Rinv @ d), rel=1e-10)


def test_large_similar_search_finds_exact_best_pair():
    rng = np.random.default_rng(5)
    n = crm.EXACT_PAIRS_MAX + 500
    C = rng.normal(size=(n, 2))
    y = (rng.random(n) < 0.3).astype(float)
    t = cr.case_table(pd.DataFrame({"city": [f"u{k:05d}" for k in range(n)]}), y, np.full(n, 0.3), y - 0.3, "raw")
    got = crm.similar_pairs(t, C, y, key_name="y", n=1)
    W = crm.standardize(C)
    ones, zeros = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    best = np.inf
    for s in range(0, len(ones), 200):  # brute force over tie × non-tie pairs
        D = np.sqrt(((W[ones[s:s + 200], None, :] - W[None, zeros, :]) ** 2).sum(-1))
        best = min(best, D.min())
    assert got["distance"].iloc[0] == pytest.approx(best)


def test_labels_are_single_and_consistent():
    assert cr.case_label({"observed": 1.0, "residual": 2.5, "status": "deviant"}, "deviant", True) == \
        "deviant tie (unexpected collaboration)"
    assert cr.case_label({"observed": 0.0, "residual": -2.5, "status": "deviant"}, "deviant", True) == \
        "deviant non-tie (missing expected collaboration)"
    assert cr.case_label({"observed": 1.0, "residual": 0.3, "status": "typical"}, "typical", True) == "typical tie"
    assert cr.case_label({"observed": 0.0, "residual": -0.1, "status": "typical"}, "typical", True) == "typical non-tie"
    assert cr.case_label({"observed": 3.0, "residual": -1.0}, "overpredicted", False) == "over-predicted"
    assert cr.case_label({"observed": 3.0, "residual": 1.0}, "underpredicted", False) == "under-predicted"
    assert cr.case_label({"variable": "log_gravity", "sd_units": 2.31}, "extreme_x", True) == \
        "extreme on log_gravity (+2.3 SD above the mean)"
    assert cr.case_label({"variable": "log_gravity", "sd_units": -1.04}, "extreme_x", True) == \
        "extreme on log_gravity (-1.0 SD below the mean)"
    with pytest.raises(QuantError):
        cr.case_label({}, "nope", False)


def test_bad_input_is_one_sentence():
    ids = pd.DataFrame({"city": ["a", "b"]})
    with pytest.raises(QuantError, match="no residual value"):
        cr.case_table(ids, [1, 2], [1, 2], [np.nan, 0], "raw")
    t = cr.case_table(ids, [1, 2], [1, 2], [0.5, 0.1], "raw")
    with pytest.raises(QuantError, match="c = -1"):
        cr.typical(t, c=-1)
    with pytest.raises(QuantError, match="degrees of freedom"):
        cr.deviant_residstd(t, k=2)


def test_order_does_not_depend_on_row_order(mt):
    t = mt["table"]
    shuffled = t.sample(frac=1.0, random_state=4).reset_index(drop=True)
    shuffled.attrs = dict(t.attrs)
    for rule in (cr.typical, cr.deviant):
        a = rule(t, c=2.0 if rule is cr.typical else 0.5, n=None)
        b = rule(shuffled, c=2.0 if rule is cr.typical else 0.5, n=None)
        assert a["car"].tolist() == b["car"].tolist()
    y1 = cr.extreme_y(t, n=None)["car"].tolist()
    y2 = cr.extreme_y(shuffled, n=None)["car"].tolist()
    assert y1 == y2
