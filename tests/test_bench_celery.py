"""The scale-out benchmark's curve fit (``tools.bench_celery.steady_rate``)."""

from __future__ import annotations

import pytest

from tools.bench_celery import steady_rate


def test_steady_rate_is_the_slope_after_start_up() -> None:
    # 30 s of start-up, then 50 messages a second until all 5,000 are done; the last count repeats
    curve = [(float(t), 0) for t in range(0, 31, 10)]
    curve += [(30.0 + t, 50 * t) for t in range(10, 100, 10)]
    curve += [(130.0, 5000), (140.0, 5000)]
    fit = steady_rate(curve)
    assert fit is not None
    rate, lead = fit
    assert rate == pytest.approx(50.0)
    assert lead == pytest.approx(30.0)


@pytest.mark.parametrize("curve", [[], [(10.0, 0), (20.0, 0)], [(10.0, 5), (20.0, 10)]])
def test_too_few_points_give_no_rate(curve: list[tuple[float, int]]) -> None:
    assert steady_rate(curve) is None
