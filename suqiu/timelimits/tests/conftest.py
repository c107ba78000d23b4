import pytest


@pytest.fixture(autouse=True)
def _fresh_time_limit_caches():
    """Policies and calendar overrides are cached per process; a test's rows roll back without
    telling the cache, so start and end every test with none."""
    from suqiu.timelimits import conf, policies

    policies.forget()
    conf.forget_calendar()
    yield
    policies.forget()
    conf.forget_calendar()
