"""The practical floor: a year's deals printed from the cache's own database, nothing more.

Usage: python benchmarks/floor.py CACHE_DATABASE [YEAR]   (kb-<key>.sqlite; 2024 by default)
"""

import sqlite3
import sys

connection = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
year = int(sys.argv[2]) if len(sys.argv) > 2 else 2024
deals = "select id from links where field = 'year' and value = ?"
rows = connection.execute(
    f"select json from record_json where id in ({deals}) order by position", (year,)
).fetchall()
sys.stdout.write("[\n" + ",\n".join(row for (row,) in rows) + "\n]\n")
