"""The demo accounts: one per role. Demo only — production creates no demo users.

Every demo account (these and the extra staff and residents ``suqiu demo`` creates) signs in
with ``DEMO_PASSWORD``. The organisation codes refer to the demo directory (``directory.py``):
``PS`` the district, ``PS-LT`` 龙田街道, ``PS-LT-C1`` 龙田社区, ``PS-CC`` the command centre.
"""

from dataclasses import dataclass

DEMO_PASSWORD = "suqiu-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    role_label: str
    org_code: str | None  # organisation code from the demo directory
    phone: str = ""


DEMO_USERS = (
    DemoUser("resident", "张阿姨", "resident", "resident 居民", None, "13925061847"),
    DemoUser("operator", "刘敏", "operator", "intake operator 受理员", "PS-CC", "13602871935"),
    DemoUser(
        "gridworker", "陈志强", "grid_worker", "grid worker 网格员", "PS-LT-C1", "13714620958"
    ),
    DemoUser(
        "community", "黄丽", "community_worker", "community worker 社区工作者", "PS-LT-C1", ""
    ),
    DemoUser("socialworker", "林晓", "social_worker", "social worker 社工", "PS-SW1", ""),
    DemoUser("volunteer", "周杰", "volunteer", "volunteer 志愿者", "PS-VOL", "18926473051"),
    DemoUser(
        "handler", "吴建国", "department_handler", "department handler 职能部门", "PS-HOUSING"
    ),
    DemoUser("dispatcher", "郑洁", "dispatcher", "dispatcher 派单员", "PS"),
    DemoUser("leader", "孙书记", "leader", "leader 街道领导", "PS-LT"),
    DemoUser("admin", "系统管理员", "admin", "administrator 管理员", "PS"),
)
