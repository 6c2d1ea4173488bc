"""Vectorised simulation of one chunk of users: their attributes, events and experiment assignments.

The population's signup times are drawn once for all users (they fix user ids); everything else is drawn
per chunk of ``CHUNK_USERS`` users from a generator seeded by (seed, chunk index), so memory stays bounded
and the output does not depend on anything but the command-line arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_data import _params as P


@dataclass(frozen=True)
class ChunkTables:
    """Column arrays of one chunk; string columns are integer codes into the vocabularies of _params."""

    events: dict[str, np.ndarray]
    users: dict[str, np.ndarray]
    assignments: dict[str, np.ndarray]


def signup_times(n_users: int, seed: int) -> np.ndarray:
    """Draw the sorted signup timestamps (µs since epoch, whole seconds) of the whole population.

    Parameters
    ----------
    n_users : int
        Population size.
    seed : int
        The generator seed; the population uses spawn key 0, chunks use 1, 2, ...

    Returns
    -------
    numpy.ndarray
        int64 microseconds, sorted ascending; user ``i`` (0-based) gets user_id ``i + 1``.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    day = np.arange(P.N_DAYS)
    lo, hi = P.SIGNUP_GROWTH
    weights = (lo + (hi - lo) * day / (P.N_DAYS - 1)) * _weekday_factor(day)
    days = rng.choice(P.N_DAYS, size=n_users, p=weights / weights.sum())
    seconds = _time_of_day(rng, n_users)
    ts = P.START_US + days.astype(np.int64) * P.US_PER_DAY + seconds * P.US_PER_SECOND
    return np.sort(ts)


def _weekday_factor(day_index: np.ndarray) -> np.ndarray:
    # Day 0 (2026-05-25) is a Monday, so day_index % 7 in (5, 6) is the weekend.
    return np.where(day_index % 7 >= 5, P.WEEKEND_FACTOR, 1.0)


def _time_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    hours = rng.choice(24, size=size, p=P.HOUR_WEIGHTS / P.HOUR_WEIGHTS.sum())
    return hours.astype(np.int64) * 3600 + rng.integers(0, 3600, size=size)


def _retention_curve() -> np.ndarray:
    """f(d) for d = 0..N_DAYS-1, normalised to f(7) = 1 (f(0) unused: day 0 is the signup day)."""
    d = np.arange(P.N_DAYS, dtype=float)
    power = ((7 + P.CURVE_K) / (d + P.CURVE_K)) ** P.CURVE_POWER
    return power * np.exp(-(d - 7) / P.CURVE_DECAY_DAYS)


def _seconds(rng: np.random.Generator, lo: float, hi: float, size: int) -> np.ndarray:
    return (rng.uniform(lo, hi, size) * P.US_PER_SECOND).astype(np.int64) // P.US_PER_SECOND * P.US_PER_SECOND


def simulate_chunk(first_id: int, signup_us: np.ndarray, chunk_index: int, seed: int) -> ChunkTables:
    """Simulate the users ``first_id .. first_id + len(signup_us) - 1``.

    Parameters
    ----------
    first_id : int
        user_id of the first user of the chunk.
    signup_us : numpy.ndarray
        Their signup timestamps (µs, sorted).
    chunk_index : int
        0-based chunk number; seeds the chunk's generator and picks the chunk with the dual assignments.
    seed : int
        The product seed.

    Returns
    -------
    ChunkTables
        Events sorted by (user_id, timestamp); one users row per user; assignment rows.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk_index + 1,)))
    n = len(signup_us)
    t0 = signup_us
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    platform = rng.choice(3, size=n, p=P.PLATFORM_P).astype(np.int8)
    country = rng.choice(len(P.COUNTRIES), size=n, p=P.COUNTRY_P).astype(np.int8)
    channel = rng.choice(3, size=n, p=P.CHANNEL_P).astype(np.int8)
    lag_us = (rng.exponential(P.UPDATE_LAG_MEAN_DAYS, n) * P.US_PER_DAY).astype(np.int64)
    lag_us[platform == P.PLATFORMS.index("web")] = 0

    # Experiments on new users (stories 3 and 4).
    no_lo, no_hi = P.NEW_ONBOARDING
    in_no = (t0 >= no_lo) & (t0 < no_hi)
    no_treat = in_no & (rng.random(n) < 0.5)
    pp_exposure = t0 + _seconds(rng, 60, 900, n)
    pp_lo, pp_hi = P.PRICING_PAGE
    in_pp = (pp_exposure >= pp_lo) & (pp_exposure < pp_hi)
    pp_treat = in_pp & (rng.random(n) < 0.5)

    # Onboarding funnel (story 1 and 3).
    started = rng.random(n) < P.P_ONBOARDING_START
    ts_start = t0 + _seconds(rng, 20, 300, n)
    profiled = started & (rng.random(n) < P.P_PROFILE_GIVEN_START)
    ts_profile = ts_start + _seconds(rng, 60, 900, n)
    p_fp = np.where(t0 >= P.RELEASE_2_0_US, P.P_FIRST_PROJECT_7D["post_2_0"], P.P_FIRST_PROJECT_7D["pre_2_0"])
    p_fp = np.where(no_treat, P.P_FIRST_PROJECT_7D["new_onboarding_treatment"], p_fp)
    activated = profiled & (rng.random(n) < p_fp)
    in_session = rng.random(n) < P.P_FIRST_PROJECT_IN_SESSION
    ts_fp = np.where(
        in_session,
        ts_profile + _seconds(rng, 120, 2400, n),
        t0 + _seconds(rng, 86_400, 6.9 * 86_400, n),
    )
    late = profiled & ~activated & (rng.random(n) < P.P_FIRST_PROJECT_LATE)
    ts_fp = np.where(late, t0 + _seconds(rng, 7.1 * 86_400, 21 * 86_400, n), ts_fp)
    has_fp = (activated | late) & (ts_fp < P.END_US)
    fp_at = np.where(has_fp, ts_fp, np.iinfo(np.int64).max)

    # Daily activity (stories 7 and 8, and the pricing_page guardrail breach).
    base = np.where(activated, P.BASE_D7["activated"], P.BASE_D7["not_activated"])
    base = base * np.array([P.CHANNEL_RETENTION[c] for c in P.CHANNELS])[channel]
    base = base * rng.gamma(P.ENGAGEMENT_SHAPE, 1 / P.ENGAGEMENT_SHAPE, n)
    base = np.where(pp_treat, base * P.PRICING_RETENTION_FACTOR, base)
    signup_day = ((t0 - P.START_US) // P.US_PER_DAY).astype(np.int64)
    offsets = np.arange(1, P.N_DAYS)
    day_index = signup_day[:, None] + offsets[None, :]
    prob = base[:, None] * _retention_curve()[offsets][None, :] * _weekday_factor(day_index)
    prob = np.where(day_index < P.N_DAYS, np.minimum(prob, P.P_ACTIVE_MAX), 0.0)
    active_u, active_d = np.nonzero(rng.random(prob.shape) < prob)
    del prob, day_index
    day_start = P.START_US + (signup_day[active_u] + offsets[active_d]) * P.US_PER_DAY
    session = day_start + _time_of_day(rng, len(active_u)) * P.US_PER_SECOND
    session = np.minimum(session, day_start + P.US_PER_DAY - 1800 * P.US_PER_SECOND)
    events = _session_events(rng, active_u, session, day_start, fp_at, platform, channel)

    # Upgrades (story 4's primary).
    p_up = np.where(activated, P.P_UPGRADE["activated"], P.P_UPGRADE["not_activated"])
    p_up = np.where(pp_treat, p_up * P.PRICING_UPGRADE_FACTOR, p_up)
    upgraded = rng.random(n) < p_up
    up_from = np.where(in_pp, pp_exposure, t0)
    ts_up = up_from + (rng.exponential(P.UPGRADE_DELAY_MEAN_DAYS, n) * 86_400).astype(np.int64) * 1_000_000
    upgraded &= ts_up < P.END_US
    plan = np.where(upgraded, np.where(rng.random(n) < 0.8, 1, 2), 0).astype(np.int8)

    one_off = [
        (np.ones(n, bool), t0, P.EV["signup"]),
        (started, ts_start, P.EV["onboarding_start"]),
        (profiled, ts_profile, P.EV["profile_completed"]),
        (has_fp, ts_fp, P.EV["first_project"]),
        (upgraded, ts_up, P.EV["upgrade"]),
    ]
    users_col = [events[0]] + [np.nonzero(mask)[0] for mask, _, _ in one_off]
    ts_col = [events[1]] + [ts[mask] for mask, ts, _ in one_off]
    ev_col = [events[2]] + [np.full(int(mask.sum()), code, np.int8) for mask, _, code in one_off]
    u = np.concatenate(users_col)
    ts = np.concatenate(ts_col)
    ev = np.concatenate(ev_col)
    keep = (ts < P.END_US) & ~_outage(rng, ts, ev, platform[u])
    u, ts, ev = u[keep], ts[keep], ev[keep]
    order = np.lexsort((ev, ts, u))
    u, ts, ev = u[order], ts[order], ev[order]
    version = np.zeros(len(u), np.int8)
    for k in range(1, len(P.VERSIONS)):
        release = int(P.VERSION_US[k])
        effective = np.minimum(release + lag_us, np.maximum(t0, release))
        version += (ts >= effective[u]).astype(np.int8)

    assignments = _assignments(
        rng, chunk_index, u, ts, ids, t0, in_no, no_treat, pp_exposure, in_pp, pp_treat
    )
    return ChunkTables(
        events={
            "user_id": ids[u],
            "event": ev,
            "timestamp": ts,
            "platform": platform[u],
            "app_version": version,
            "country": country[u],
        },
        users={
            "user_id": ids,
            "signup_at": t0,
            "plan": plan,
            "platform": platform,
            "country": country,
            "channel": channel,
        },
        assignments=assignments,
    )


def _session_events(
    rng: np.random.Generator,
    user: np.ndarray,
    session: np.ndarray,
    day_start: np.ndarray,
    fp_at: np.ndarray,
    platform: np.ndarray,
    channel: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events of every active (user, day): app opens first, then the session's actions."""
    m = len(user)
    has_project = fp_at[user] <= session
    days_since_export = np.maximum(0, (day_start - P.EXPORT_RELEASE_US) / P.US_PER_DAY)
    p_export = np.where(
        day_start >= P.EXPORT_RELEASE_US,
        P.EXPORT_CAP * (1 - np.exp(-days_since_export / P.EXPORT_TAU_DAYS)),
        0,
    )
    p_export = p_export * np.where(has_project, 1.0, P.EXPORT_NO_PROJECT_FACTOR)
    is_referral = channel[user] == P.CHANNELS.index("referral")
    is_android = platform[user] == P.PLATFORMS.index("android")
    counts = {
        "app_open": 1 + rng.poisson(P.EXTRA_OPENS_MEAN, m),
        "project_created": rng.poisson(
            np.where(has_project, P.PROJECTS_MEAN["has_project"], P.PROJECTS_MEAN["no_project"])
        ),
        "export_clicked": (rng.random(m) < p_export).astype(np.int64),
        "share_clicked": (rng.random(m) < P.P_SHARE).astype(np.int64),
        "comment_added": ((rng.random(m) < P.P_COMMENT) & (day_start >= P.COMMENTS_RELEASE_US)).astype(
            np.int64
        ),
        "invite_sent": (
            rng.random(m) < np.where(is_referral, P.P_INVITE["referral"], P.P_INVITE["other"])
        ).astype(np.int64),
        "error_shown": (
            rng.random(m) < np.where(is_android, P.P_ERROR["android"], P.P_ERROR["other"])
        ).astype(np.int64),
    }
    users, stamps, codes = [], [], []
    for name, count in counts.items():
        pair = np.repeat(np.arange(m), count)
        # The first app_open starts the session; everything else follows within 30 minutes.
        offset = _seconds(rng, 1, 1800, len(pair))
        if name == "app_open":
            first = np.ones(len(pair), bool)
            first[1:] = pair[1:] != pair[:-1]
            offset[first] = 0
        users.append(user[pair])
        stamps.append(session[pair] + offset)
        codes.append(np.full(len(pair), P.EV[name], np.int8))
    return np.concatenate(users), np.concatenate(stamps), np.concatenate(codes)


def _outage(rng: np.random.Generator, ts: np.ndarray, ev: np.ndarray, platform: np.ndarray) -> np.ndarray:
    """Rows lost in story 6: android client events on the outage day (signup and upgrade are server-side)."""
    on_day = (ts >= P.OUTAGE_DAY_US) & (ts < P.OUTAGE_DAY_US + P.US_PER_DAY)
    client = (ev != P.EV["signup"]) & (ev != P.EV["upgrade"])
    hit = on_day & (platform == P.PLATFORMS.index("android")) & client
    return hit & (rng.random(len(ts)) < P.OUTAGE_LOSS)


def _assignments(
    rng: np.random.Generator,
    chunk_index: int,
    u: np.ndarray,
    ts: np.ndarray,
    ids: np.ndarray,
    t0: np.ndarray,
    in_no: np.ndarray,
    no_treat: np.ndarray,
    pp_exposure: np.ndarray,
    in_pp: np.ndarray,
    pp_treat: np.ndarray,
) -> dict[str, np.ndarray]:
    """Assignment rows of the three experiments; events must be sorted by (user, timestamp)."""
    lo, hi = P.CHECKOUT_REDESIGN
    in_window = (ts >= lo) & (ts < hi)
    cr_users, first_row = np.unique(u[in_window], return_index=True)
    cr_exposure = ts[in_window][first_row]
    enrol = rng.random(len(cr_users)) < P.P_CHECKOUT_ENROL
    cr_variant = (rng.random(len(cr_users)) >= P.P_CHECKOUT_CONTROL).astype(np.int8)
    cr_users, cr_exposure, cr_variant = cr_users[enrol], cr_exposure[enrol], cr_variant[enrol]
    if chunk_index == 0:
        # A client bug re-bucketed a few users: they get a second row in the other variant an hour later.
        dual = np.nonzero(cr_exposure + 3600 * P.US_PER_SECOND < hi)[0][: P.N_DUAL_ASSIGNED]
        cr_users = np.concatenate([cr_users, cr_users[dual]])
        cr_exposure = np.concatenate([cr_exposure, cr_exposure[dual] + 3600 * P.US_PER_SECOND])
        cr_variant = np.concatenate([cr_variant, 1 - cr_variant[dual]])
    parts = [
        (np.nonzero(in_no)[0], t0[in_no], no_treat[in_no].astype(np.int8), 0),
        (np.nonzero(in_pp)[0], pp_exposure[in_pp], pp_treat[in_pp].astype(np.int8), 1),
        (cr_users, cr_exposure, cr_variant, 2),
    ]
    return {
        "user_id": np.concatenate([ids[p[0]] for p in parts]),
        "experiment": np.concatenate([np.full(len(p[0]), p[3], np.int8) for p in parts]),
        "variant": np.concatenate([p[2] for p in parts]),
        "timestamp": np.concatenate([p[1] for p in parts]),
    }
