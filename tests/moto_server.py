#!/usr/bin/env python3
"""moto's server (`moto_server`, same arguments), with DynamoDB's writes applied one at a time.

DynamoDB applies a conditional write, or a transaction, atomically: of twenty updates
conditioned on one version, exactly one wins. moto checks a write's conditions and then applies
it with no lock, while its server answers each request on a thread of its own, so under load two
such writes can both pass their checks (seen once in the end-to-end suite: two winners of
twenty). A lock around each write makes the server keep the guarantee the store relies on, as
the real service does; reads go on unlocked.
"""
import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()


def _one_at_a_time(write):
    @functools.wraps(write)
    def locked(*args, **kwargs):
        with _lock:
            return write(*args, **kwargs)

    return locked


for _name in WRITES:
    setattr(DynamoDBBackend, _name, _one_at_a_time(getattr(DynamoDBBackend, _name)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
