import dataclasses

from auth.config import BootstrapAdmin
from auth.domain import passwords
from auth.domain.bootstrap import ensure_bootstrap_admin
from auth.domain.login import authenticate
from auth.domain.services import Services

ONE_TIME = "printed-once-at-generation"


def with_bootstrap(services, username="boss"):
    encoded = passwords.pbkdf2_hash(ONE_TIME, services.settings.pepper, "salt", 1000)
    settings = dataclasses.replace(
        services.settings,
        bootstrap_admin=BootstrapAdmin(username, f"{username}@example.com", encoded),
    )
    return Services(settings=settings, store=services.store, clock=services.clock)


def test_first_start_creates_the_admin_who_must_choose_a_password(services):
    boot = with_bootstrap(services)
    user = ensure_bootstrap_admin(boot)
    assert user.is_admin and user.must_change_password
    signed_in = authenticate(boot, "boss", ONE_TIME)
    assert signed_in is not None and signed_in.must_change_password


def test_nothing_happens_when_an_admin_exists(services, admin):
    assert ensure_bootstrap_admin(with_bootstrap(services)) is None
    assert services.store.count_users() == 1


def test_an_existing_user_with_the_bootstrap_name_is_left_alone(services, make_user):
    make_user("boss", roles=("viewer",))
    assert ensure_bootstrap_admin(with_bootstrap(services)) is None
    assert not services.store.find_user("boss").is_admin


def test_running_twice_creates_one_admin(services):
    boot = with_bootstrap(services)
    ensure_bootstrap_admin(boot)
    ensure_bootstrap_admin(boot)
    assert services.store.count_users() == 1
