"""LIVE-streaming merchant incentives: segments, programs, cost simulation, payouts, budget
optimisation and uplift measurement (DESIGN 2.8)."""
