"""Demo data for ``suqiu demo`` (and ``suqiu run`` on an empty database).

- ``places.py``: the map — three streets, eight communities, thirty grid polygons around Pingshan;
- ``catalogue.py``: the category tree with default handling organisations and the Chinese
  templates appeals are written from;
- ``texts.py``: names, phone numbers and the phrase pools for notes, replies and reasons;
- ``people.py``: the demo accounts, one per role, and the demo password;
- ``directory.py``: writes organisations, grids, categories, staff, residents and memberships;
- ``plan.py``: decides each appeal's story (who does what, when) without writing anything;
- ``generate.py``: replays every plan through ``suqiu.appeals.services`` in time order.

All texts were written for this project.
"""
