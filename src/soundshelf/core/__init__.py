"""Below the features: what several feature packages use (the user item and who is calling,
the audit log, platform counters, items made from uploads and how they go away, search
text). Nothing here imports a feature package."""
