"""JupyterHub for one class on one server: Unix accounts, nbgrader's exchange, two environments.

    jupyterhub -f /path/to/deploy/jupyterhub_config.py      # as root, from /srv/jupyterhub

Who is who comes from two Unix groups: members of COURSE_STUDENTS_GROUP get the students'
environment (``optimlab``, no ``autograder``, no instructor extensions), members of
COURSE_INSTRUCTORS_GROUP get the instructor's (``autograder``, formgrader, Create Assignment) and
are hub admins. Everyone logs in with their Unix password (PAM) and their server runs as their own
Unix user, so the exchange and home folders are protected by ordinary file permissions.

Every setting below can be changed with the environment variable named next to it (the defaults
are the paths of docs/hub.md); the end-to-end test (tests/test_hub.py) uses them to run a whole
class under a throwaway prefix.
"""

import grp
import os
import pwd

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)


def setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


COURSE_ID = setting("COURSE_ID", "optimizers")
STUDENTS_GROUP = setting("COURSE_STUDENTS_GROUP", "optimizers-students")
INSTRUCTORS_GROUP = setting("COURSE_INSTRUCTORS_GROUP", "optimizers-instructors")
STUDENT_ENV = setting("COURSE_STUDENT_ENV", "/opt/optimizers/student-env")
INSTRUCTOR_ENV = setting("COURSE_INSTRUCTOR_ENV", "/opt/optimizers/instructor-env")
# MNIST for notebooks 09-12; deploy/make-student-env.sh copies data/ here.
DATA_DIR = setting("COURSE_DATA_DIR", f"{STUDENT_ENV}/share/optimizers/data")
# A world-readable copy of deploy/jupyter/ (never the repository itself: it holds the solutions).
JUPYTER_CONFIG = setting("COURSE_JUPYTER_CONFIG", "/etc/optimizers-hub/jupyter")
EXCHANGE_ROOT = setting("COURSE_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
HUB_URL = setting("COURSE_HUB_URL", "http://:8000")  # put HTTPS in front (docs/hub.md)
HUB_API_URL = setting("COURSE_HUB_API_URL", "http://127.0.0.1:8081")
PROXY_API_URL = setting("COURSE_PROXY_API_URL", "http://127.0.0.1:8001")
STATE_DIR = setting("COURSE_HUB_STATE", "/srv/jupyterhub")  # hub database and cookie secret


def group_members(name: str) -> set[str]:
    """Members of a Unix group, primary members included; empty if the group does not exist."""
    try:
        group = grp.getgrnam(name)
    except KeyError:
        return set()
    members = set(group.gr_mem)
    members.update(p.pw_name for p in pwd.getpwall() if p.pw_gid == group.gr_gid)
    return members


# --- Network: users reach the proxy; the hub and the proxy's API stay on loopback.
c.JupyterHub.bind_url = HUB_URL
c.JupyterHub.hub_bind_url = HUB_API_URL
c.ConfigurableHTTPProxy.api_url = PROXY_API_URL
c.JupyterHub.db_url = f"sqlite:///{STATE_DIR}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{STATE_DIR}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = f"{STATE_DIR}/jupyterhub-proxy.pid"

# --- Who may log in: Unix accounts in the course's groups, with their Unix passwords.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {STUDENTS_GROUP, INSTRUCTORS_GROUP}
c.PAMAuthenticator.admin_groups = {INSTRUCTORS_GROUP}
c.PAMAuthenticator.open_sessions = False  # no systemd-logind session per notebook server

# --- Each user's server: their own Unix user, their home folder, JupyterLab.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 180  # a busy server on the first day of term
c.Spawner.http_timeout = 180
c.Spawner.mem_limit = "3G"  # enforced by systemdspawner or Kubernetes; 09-10 need about 3 GB


def choose_environment(spawner) -> None:
    """Students get the students' environment; instructors get theirs with nbgrader's tools."""
    name = spawner.user.name
    if name in group_members(INSTRUCTORS_GROUP):
        env, config_path = INSTRUCTOR_ENV, [f"{JUPYTER_CONFIG}/common"]
    elif name in group_members(STUDENTS_GROUP):
        env, config_path = STUDENT_ENV, [f"{JUPYTER_CONFIG}/student", f"{JUPYTER_CONFIG}/common"]
    else:
        raise ValueError(f"{name} is in neither {STUDENTS_GROUP} nor {INSTRUCTORS_GROUP}")
    spawner.cmd = [f"{env}/bin/jupyterhub-singleuser"]
    spawner.environment.update(
        {
            "PATH": f"{env}/bin:/usr/local/bin:/usr/bin:/bin",
            # Highest priority first: the students' folder switches off the instructor extensions.
            "JUPYTER_CONFIG_PATH": os.pathsep.join(config_path),
            "COURSE_EXCHANGE_ROOT": EXCHANGE_ROOT,
            "COURSE_ID": COURSE_ID,
            "OPTIMLAB_DATA_DIR": DATA_DIR,
        }
    )


c.Spawner.pre_spawn_hook = choose_environment
