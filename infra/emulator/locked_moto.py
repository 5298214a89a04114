"""moto's server, made to behave like DynamoDB where our code depends on it, and not slower as tables grow.

1. One DynamoDB operation at a time. moto serves requests in parallel threads; its transactions check
   conditions and then write, so two concurrent transactions could both pass a check the other invalidates
   (lost fund updates under concurrent orders). A lock around every DynamoDB backend method makes each
   operation, and so each transaction, atomic, as DynamoDB's are; HTTP stays threaded.
2. Transactions roll back by journal, not by copying tables. moto snapshots every table a transaction
   touches (a deep copy of the whole table) so that it can restore it when a condition fails: the cost of
   every transaction grows with the table. Here, before a transaction runs, the items it names are copied
   (only those), moto's table copy is made a no-op, and a cancelled transaction puts those items back as
   they were (or removes the ones it created). Under the lock nothing else can have touched them meanwhile.

3. A query reads its partition, not the table. moto answers a table query by sorting every item of the
   table and keeping the partition's, and an index query by sorting every item before filtering: the cost of
   every read grows with the table. Here a table query sees only its partition's items, and an index query
   all items unsorted (it sorts its own results).
4. The listening socket queues 1,024 connections, not 128: a burst of parallel requests (50 placements at
   once, each making its reads at once) otherwise overflows it and the SDK sees refused connections.

The local stack (infra/local/src/emulator.rs) runs this file as moto_server's entry point;
`test_locked_moto.py` beside it checks these behaviours against moto's backend in process.
"""

import copy
import inspect
import sys
import threading

import moto.dynamodb.models as models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType

LOCK = threading.RLock()


def _locked(method):
    def run(*args, **kwargs):
        with LOCK:
            return method(*args, **kwargs)

    run.__wrapped__ = method
    return run


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB models: a table "copied" for a transaction's
    rollback is the table itself (the journal restores it); everything else is copied as usual."""

    def __getattr__(self, name):
        return getattr(copy, name)

    def deepcopy(self, value, *args):
        if isinstance(value, models.Table):
            return value
        return copy.deepcopy(value, *args)


def _key_of(table, op_type, op):
    """The (hash, range) DynamoType key an operation names, or None if it names none (moto then refuses it)."""
    attrs = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
        return None
    hash_key = DynamoType(attrs[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_key, None
    if table.range_key_attr not in attrs:
        return None
    return hash_key, DynamoType(attrs[table.range_key_attr])


def _journal(backend, transact_items):
    """The items a transaction names, as they are now: [(table, hash, range, item copy or None)]."""
    entries = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        key = _key_of(table, op_type, op) if table is not None else None
        if key is None:
            continue
        hash_key, range_key = key
        current = table.get_item(hash_key, range_key)
        entries.append((table, hash_key, range_key, copy.deepcopy(current)))
    return entries


def _restore(entries):
    """Puts every journaled item back as it was, last first (an item named twice ends as it first was)."""
    for table, hash_key, range_key, before in reversed(entries):
        if table.range_key_attr is None:
            if before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
            continue
        partition = table.items.get(hash_key)
        if before is None:
            if partition is not None:
                partition.pop(range_key, None)
                if not partition:
                    table.items.pop(hash_key, None)
        else:
            table.items.setdefault(hash_key, {})[range_key] = before


def _partition(table, hash_key):
    """One partition's items, by range key (what moto's table query keeps of all items)."""
    found = table.items.get(hash_key)
    if found is None:
        return []
    if table.range_key_attr is None:
        return [found]
    return sorted(found.values(), key=lambda item: item.range_key)


def _every_item(table):
    """Every item, unsorted."""
    if table.range_key_attr is None:
        return list(table.items.values())
    return [item for partition in table.items.values() for item in partition.values()]


def _query_reading_less(query):
    signature = inspect.signature(query)

    def run(self, *args, **kwargs):
        named = signature.bind(self, *args, **kwargs).arguments
        hash_key, index_name = named.get("hash_key"), named.get("index_name")
        items = _partition(self, hash_key) if index_name is None and hash_key is not None else _every_item(self)
        self.all_items = lambda: items
        try:
            return query(self, *args, **kwargs)
        finally:
            del self.all_items

    return run


def install():
    """Applies both patches to moto's DynamoDB backend (idempotent)."""
    if getattr(DynamoDBBackend, "_tradesense_locked", False):
        return
    for name, method in list(vars(DynamoDBBackend).items()):
        if inspect.isfunction(method) and not name.startswith("_"):
            setattr(DynamoDBBackend, name, _locked(method))
    models.copy = _TablesNotCopied()
    transact = DynamoDBBackend.transact_write_items.__wrapped__

    def transact_write_items(self, transact_items):
        with LOCK:
            entries = _journal(self, transact_items)
            try:
                return transact(self, transact_items)
            except Exception:
                _restore(entries)
                raise

    DynamoDBBackend.transact_write_items = transact_write_items
    models.Table.query = _query_reading_less(models.Table.query)
    DynamoDBBackend._tradesense_locked = True


def widen_backlog():
    """Lets the server's socket queue 1,024 connections instead of werkzeug's 128: a burst of parallel reads
    (50 placements, each reading eight items at once) otherwise overflows it, and the refused connections
    look to the SDK like an unreachable service."""
    from werkzeug import serving

    serving.BaseWSGIServer.request_queue_size = LISTEN_BACKLOG


LISTEN_BACKLOG = 1024


if __name__ == "__main__":
    import moto.server as server

    install()
    widen_backlog()
    server.main(sys.argv[1:])
