"""Loading a site's estate from the roster it already keeps (业主信息表 / 房产台账), and the
customer files (domain §11) kept afterwards (issue 18).

- ``columns``: the roster's columns by header (Chinese or English) and the unit-code forms;
- ``reader``: an ``.xlsx`` or ``.csv`` file (UTF-8, UTF-8 with BOM, GB18030/GBK) as rows;
- ``roster``: checking every row, planning what changes, and applying it in one transaction;
- ``template``: the empty roster ``shiftdesk estate template`` writes;
- ``customers``: the customer file, its permission checks and the read log (A-4, A-6).

Nothing here imports Textual; the screens call these functions.
"""
