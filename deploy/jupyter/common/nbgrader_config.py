"""nbgrader settings every user of the hub shares: where the exchange is and which course this is.

The hub puts this folder on each user's JUPYTER_CONFIG_PATH (deploy/jupyterhub_config.py), so
students' Assignments tab and the instructor's nbgrader commands agree on both. The instructor's
course folder keeps its own nbgrader_config.py (the repository's) for everything else.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.Exchange.root = os.environ.get("COURSE_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "optimizers")
