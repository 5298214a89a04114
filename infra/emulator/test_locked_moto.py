"""Tests of locked_moto against moto's backend in process (boto3 under `mock_aws`, the patched classes):
a cancelled transaction leaves every item it named as it was, a committed one applies whole, no table is
copied for a transaction, concurrent transactions lose no update, and queries answer as DynamoDB's do
(order, prefixes, pages, an index) while reading only what they need.

    .venv/bin/python -m unittest discover -s infra/emulator
"""

import threading
import unittest

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

import locked_moto

locked_moto.install()

TABLE = "t"


def item(pk, sk, **attrs):
    out = {"pk": {"S": pk}, "sk": {"S": sk}}
    out.update({k: {"N": str(v)} for k, v in attrs.items()})
    return out


@mock_aws
class LockedMotoTest(unittest.TestCase):
    def setUp(self):
        self.db = boto3.client("dynamodb", region_name="us-east-1")
        self.db.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "gsi1pk", "AttributeType": "S"},
                {"AttributeName": "gsi1sk", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[{
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                              {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            BillingMode="PAY_PER_REQUEST",
        )
        self.db.put_item(TableName=TABLE, Item=item("USER#1", "ACCOUNT", cash=100))
        self.db.put_item(TableName=TABLE, Item=item("USER#1", "OLD", n=1))

    def get(self, pk, sk):
        return self.db.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")

    def test_a_cancelled_transaction_leaves_every_item_it_named_as_it_was(self):
        writes = [
            {"Put": {"TableName": TABLE, "Item": item("USER#1", "NEW", n=1)}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "USER#1"}, "sk": {"S": "ACCOUNT"}},
                        "UpdateExpression": "SET cash = cash - :d", "ExpressionAttributeValues": {":d": {"N": "30"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "USER#1"}, "sk": {"S": "OLD"}}}},
            {"Put": {"TableName": TABLE, "Item": item("USER#2", "NEW", n=2)}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "USER#9"}, "sk": {"S": "GUARD"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ]
        with self.assertRaises(ClientError) as refused:
            self.db.transact_write_items(TransactItems=writes)
        self.assertEqual(refused.exception.response["Error"]["Code"], "TransactionCanceledException")
        self.assertIsNone(self.get("USER#1", "NEW"))
        self.assertIsNone(self.get("USER#2", "NEW"))
        self.assertEqual(self.get("USER#1", "ACCOUNT")["cash"], {"N": "100"})
        self.assertEqual(self.get("USER#1", "OLD")["n"], {"N": "1"})
        self.assertEqual(self.db.scan(TableName=TABLE)["Count"], 2)

    def test_a_committed_transaction_applies_whole(self):
        self.db.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": item("USER#1", "NEW", n=1), "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "USER#1"}, "sk": {"S": "ACCOUNT"}},
                        "UpdateExpression": "SET cash = cash - :d", "ExpressionAttributeValues": {":d": {"N": "30"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "USER#1"}, "sk": {"S": "OLD"}}}},
        ])
        self.assertEqual(self.get("USER#1", "NEW")["n"], {"N": "1"})
        self.assertEqual(self.get("USER#1", "ACCOUNT")["cash"], {"N": "70"})
        self.assertIsNone(self.get("USER#1", "OLD"))

    def test_no_table_is_copied_for_a_transaction(self):
        table = locked_moto.models.dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]
        self.assertIs(locked_moto.models.copy.deepcopy(table), table)
        self.assertEqual(locked_moto.models.copy.deepcopy({"a": [1]}), {"a": [1]})

    def test_concurrent_transactions_lose_no_update(self):
        def spend(thread):
            for n in range(25):
                try:
                    self.db.transact_write_items(TransactItems=[
                        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "USER#1"}, "sk": {"S": "ACCOUNT"}},
                                    "UpdateExpression": "SET cash = cash - :one",
                                    "ConditionExpression": "cash >= :one",
                                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                        {"Put": {"TableName": TABLE, "Item": item("USER#1", f"ORDER#{thread}#{n}")}},
                    ])
                except ClientError:
                    pass

        threads = [threading.Thread(target=spend, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        orders = self.db.query(TableName=TABLE, KeyConditionExpression="pk = :pk AND begins_with(sk, :o)",
                               ExpressionAttributeValues={":pk": {"S": "USER#1"}, ":o": {"S": "ORDER#"}})["Count"]
        # 200 tried, 100 of cash: exactly 100 orders, cash exactly 0.
        self.assertEqual(orders, 100)
        self.assertEqual(self.get("USER#1", "ACCOUNT")["cash"], {"N": "0"})


    def test_queries_answer_in_order_by_prefix_and_page_and_on_the_index(self):
        for user in ("USER#1", "USER#2"):
            for n in range(5):
                attrs = item(user, f"ORDER#{n}", n=n)
                if n % 2 == 0:
                    attrs.update({"gsi1pk": {"S": "WORKING"}, "gsi1sk": {"S": f"{user}#{n}"}})
                self.db.put_item(TableName=TABLE, Item=attrs)

        def query(**extra):
            return self.db.query(TableName=TABLE, KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                                 ExpressionAttributeValues={":pk": {"S": "USER#1"}, ":p": {"S": "ORDER#"}}, **extra)

        newest_first = query(ScanIndexForward=False, Limit=3)
        self.assertEqual([i["sk"]["S"] for i in newest_first["Items"]], ["ORDER#4", "ORDER#3", "ORDER#2"])
        rest = query(ScanIndexForward=False, Limit=3, ExclusiveStartKey=newest_first["LastEvaluatedKey"])
        self.assertEqual([i["sk"]["S"] for i in rest["Items"]], ["ORDER#1", "ORDER#0"])
        self.assertNotIn("LastEvaluatedKey", rest)
        whole = self.db.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                              ExpressionAttributeValues={":pk": {"S": "USER#1"}})
        self.assertEqual([i["sk"]["S"] for i in whole["Items"]][:2], ["ACCOUNT", "OLD"])
        self.assertEqual(whole["Count"], 7)
        none = self.db.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                             ExpressionAttributeValues={":pk": {"S": "USER#404"}})
        self.assertEqual(none["Count"], 0)
        working = self.db.query(TableName=TABLE, IndexName="gsi1", KeyConditionExpression="gsi1pk = :w",
                                ExpressionAttributeValues={":w": {"S": "WORKING"}})
        self.assertEqual([i["gsi1sk"]["S"] for i in working["Items"]],
                         ["USER#1#0", "USER#1#2", "USER#1#4", "USER#2#0", "USER#2#2", "USER#2#4"])
        table = locked_moto.models.dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]
        self.assertNotIn("all_items", vars(table), "the query's view of the table is gone after it")


if __name__ == "__main__":
    unittest.main()


class BacklogTest(unittest.TestCase):
    def test_the_server_socket_queues_a_burst_of_connections(self):
        from werkzeug import serving

        before = serving.BaseWSGIServer.request_queue_size
        try:
            locked_moto.widen_backlog()
            server = serving.make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True)
            try:
                self.assertEqual(server.request_queue_size, 1024)
                self.assertGreater(server.request_queue_size, before)
            finally:
                server.server_close()
        finally:
            serving.BaseWSGIServer.request_queue_size = before
