"""Launch readiness and service operations (DESIGN 2.9): programs, schedules, risks, gates,
documents, service metrics, handovers and status reports."""
