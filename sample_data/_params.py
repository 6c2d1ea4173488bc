"""The planted parameters of the sample product: calendar, vocabularies and story effect sizes.

Everything a story depends on lives here so that sample_data/README.md can quote it and the tests can
import it. Changing a number here changes the committed product's ground truth: regenerate the product and
update the README table.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND


def _us(day: dt.date) -> int:
    """Microseconds since the Unix epoch of 00:00 UTC on ``day``."""
    return (day - dt.date(1970, 1, 1)).days * US_PER_DAY


# Calendar: 26 whole weeks, Monday 2026-05-25 .. Sunday 2026-11-22 inclusive (UTC).
FIRST_DAY = dt.date(2026, 5, 25)
LAST_DAY = dt.date(2026, 11, 22)
N_DAYS = (LAST_DAY - FIRST_DAY).days + 1
START_US = _us(FIRST_DAY)
END_US = _us(LAST_DAY) + US_PER_DAY  # exclusive

# Vocabularies. The order of each tuple is the code stored in the generator's integer arrays.
EVENTS = (
    "signup",
    "onboarding_start",
    "profile_completed",
    "first_project",
    "project_created",
    "app_open",
    "export_clicked",
    "share_clicked",
    "comment_added",
    "invite_sent",
    "upgrade",
    "error_shown",
)
EV = {name: code for code, name in enumerate(EVENTS)}
PLATFORMS = ("ios", "android", "web")
PLATFORM_P = (0.42, 0.36, 0.22)
COUNTRIES = ("US", "IN", "BR", "GB", "DE", "FR", "CA", "ES", "JP", "MX")
COUNTRY_P = (0.30, 0.14, 0.10, 0.09, 0.09, 0.08, 0.06, 0.05, 0.05, 0.04)
CHANNELS = ("organic", "paid", "referral")
CHANNEL_P = (0.50, 0.35, 0.15)
PLANS = ("free", "pro", "team")
VARIANTS = ("control", "treatment")
EXPERIMENTS = ("new_onboarding", "pricing_page", "checkout_redesign")

# App versions: (version string, release day). Mobile users update after a per-user lag; web and new
# installs get the current version at once.
VERSIONS = (
    ("1.8.3", FIRST_DAY),
    ("1.9.0", dt.date(2026, 7, 1)),
    ("2.0.0", dt.date(2026, 9, 1)),
    ("2.0.1", dt.date(2026, 10, 1)),
)
VERSION_US = np.array([_us(day) for _, day in VERSIONS], dtype=np.int64)
UPDATE_LAG_MEAN_DAYS = 5.0

# Signups: a linear growth ramp over the window, times the weekly pattern.
SIGNUP_GROWTH = (0.5, 1.5)
WEEKEND_FACTOR = 0.65  # story 7: Saturday and Sunday activity (and signups) ~30% lower
# Share of signups by UTC hour (a global audience: Europe afternoon + Americas evening dominate).
HOUR_WEIGHTS = np.array(
    [2, 1.5, 1.2, 1, 1, 1.2, 1.6, 2.2, 3, 3.6, 4, 4.3, 4.6, 5, 5.2, 5.4, 5.4, 5.2, 5, 4.6, 4.2, 3.6, 3, 2.5]
)

# Onboarding funnel. Story 1 (release 2.0) changes the last step; story 3 (new_onboarding) improves it again.
RELEASE_2_0_US = _us(dt.date(2026, 9, 1))
P_ONBOARDING_START = 0.90
P_PROFILE_GIVEN_START = 0.80
P_FIRST_PROJECT_7D = {"pre_2_0": 0.528, "post_2_0": 0.667, "new_onboarding_treatment": 0.75}
P_FIRST_PROJECT_IN_SESSION = 0.55  # the rest create it 1..6.9 days later
P_FIRST_PROJECT_LATE = 0.15  # of profile completers who missed the 7-day window: first project on day 7..21

# Activity after signup. P(active on day d) = clip(base × f(d) × weekday factor), f(7) = 1, so ``base``
# is the weekday day-7 activity probability before per-user heterogeneity.
BASE_D7 = {"activated": 0.45, "not_activated": 0.18}
CHANNEL_RETENTION = {"organic": 1.0, "paid": 0.5, "referral": 1.1}  # story 8: paid churns after onboarding
ENGAGEMENT_SHAPE = 4.0  # gamma(shape, 1/shape) per-user multiplier: mean 1, cv 0.5
CURVE_K, CURVE_POWER, CURVE_DECAY_DAYS = 2.0, 0.7, 60.0
P_ACTIVE_MAX = 0.97

# Per active day (a session of up to 30 minutes).
EXTRA_OPENS_MEAN = 0.1
PROJECTS_MEAN = {"has_project": 0.6, "no_project": 0.04}
P_SHARE = 0.05
P_INVITE = {"referral": 0.06, "other": 0.025}
P_ERROR = {"android": 0.07, "other": 0.045}

# Story 2: features. Export launches 2026-08-01 and is adopted along 1 - exp(-days/21) towards 22% of the
# active days of users with a project (30% of that for users without one). Comments are a retire candidate.
EXPORT_RELEASE_US = _us(dt.date(2026, 8, 1))
EXPORT_CAP, EXPORT_TAU_DAYS, EXPORT_NO_PROJECT_FACTOR = 0.22, 21.0, 0.3
COMMENTS_RELEASE_US = _us(dt.date(2026, 6, 15))
P_COMMENT = 0.012

# Upgrades: P(upgrade) by activation; delay ~ exponential from signup (or pricing exposure).
P_UPGRADE = {"activated": 0.07, "not_activated": 0.015}
UPGRADE_DELAY_MEAN_DAYS = 3.0

# Story 3: new_onboarding. Every signup in [start, end] is exposed at signup_at, 50/50.
NEW_ONBOARDING = (_us(dt.date(2026, 9, 8)), _us(dt.date(2026, 10, 6)) + US_PER_DAY)
# Story 4: pricing_page. Every signup in the window is exposed 1..15 minutes after signup, 50/50;
# treatment multiplies P(upgrade) by 1.6 and every later day's activity probability by 0.8.
PRICING_PAGE = (_us(dt.date(2026, 10, 1)), _us(dt.date(2026, 10, 29)) + US_PER_DAY)
PRICING_UPGRADE_FACTOR = 1.6
PRICING_RETENTION_FACTOR = 0.8
# Story 5: checkout_redesign. Half of the users active in the window are exposed at their first event in it;
# configured 50/50 but the broken bucketing puts 55% in control.
CHECKOUT_REDESIGN = (_us(dt.date(2026, 10, 15)), _us(dt.date(2026, 11, 12)) + US_PER_DAY)
P_CHECKOUT_ENROL = 0.5
P_CHECKOUT_CONTROL = 0.55
N_DUAL_ASSIGNED = 12  # users of the first chunk that also get a row in the other variant

# Story 6: android tracking outage (all events but the server-side signup), 90% lost.
OUTAGE_DAY_US = _us(dt.date(2026, 11, 10))
OUTAGE_LOSS = 0.90

# Size: users are derived from the requested event count; calibrated on the default product.
EVENTS_PER_USER = 12.5
CHUNK_USERS = 20_000
