"""Pure statistics on sufficient statistics: numbers in, frozen results out (DESIGN.md section 5).

No SQL, no Streamlit, no pandas: SQL hands over (n, sum, sum of squares[, cross sums]) per variant and these
functions turn them into effects, SRM checks, adjusted p-values, planning numbers and verdicts.
"""

from lib.stats.corrections import benjamini_hochberg, holm
from lib.stats.cuped import CovariateStats, CupedResult, cuped_compare
from lib.stats.effects import EffectResult, compare, one_sided_bounds, two_sided_interval
from lib.stats.power import days_left, mde_at_n, required_n_for_rule, rule_power, sample_size_per_variant
from lib.stats.sequential import (
    SequentialResult,
    sequential_interval,
    sequential_one_sided_bounds,
    sequential_rho,
)
from lib.stats.srm import SRM_THRESHOLD, SrmResult, srm_test
from lib.stats.summary import SampleStats
from lib.stats.verdict import Guardrail, Verdict, decide, decide_arms

__all__ = [
    "SRM_THRESHOLD",
    "CovariateStats",
    "CupedResult",
    "EffectResult",
    "Guardrail",
    "SampleStats",
    "SequentialResult",
    "SrmResult",
    "Verdict",
    "benjamini_hochberg",
    "compare",
    "cuped_compare",
    "days_left",
    "decide",
    "decide_arms",
    "holm",
    "mde_at_n",
    "one_sided_bounds",
    "required_n_for_rule",
    "rule_power",
    "sample_size_per_variant",
    "sequential_interval",
    "sequential_one_sided_bounds",
    "sequential_rho",
    "srm_test",
    "two_sided_interval",
]
