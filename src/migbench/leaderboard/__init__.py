"""The leaderboard: system cards, the results store, and the static site.

``migbench submit`` fills the store (:mod:`~migbench.leaderboard.store`); ``migbench
leaderboard`` builds the site from it (:mod:`~migbench.leaderboard.site`).
"""
