"""`store`: one fresh store per test, for every backend this project has (see backends.py)."""

from __future__ import annotations

import pytest

from tests.auth.store.backends import BACKENDS, new_spec


@pytest.fixture(params=BACKENDS)
def store_spec(request, tmp_path):
    return new_spec(request.param, tmp_path)


@pytest.fixture
def store(store_spec):
    store = store_spec.open()
    store.create_schema()
    return store
