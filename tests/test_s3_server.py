"""The S3 fixture is a real server: an object written with the minio client reads back."""

from __future__ import annotations

import io
import secrets

from tests.s3server import S3Endpoint


def test_seaweedfs_stores_and_returns_an_object(s3_endpoint: S3Endpoint) -> None:
    client = s3_endpoint.client()
    bucket = "fixture-check-" + secrets.token_hex(4)
    client.make_bucket(bucket_name=bucket)
    try:
        payload = secrets.token_bytes(70_000)
        client.put_object(
            bucket_name=bucket, object_name="probe/object", data=io.BytesIO(payload), length=len(payload)
        )
        response = client.get_object(bucket_name=bucket, object_name="probe/object")
        try:
            assert response.read() == payload
        finally:
            response.close()
            response.release_conn()
        names = [item.object_name for item in client.list_objects(bucket_name=bucket, recursive=True)]
        assert names == ["probe/object"]
    finally:
        for item in client.list_objects(bucket_name=bucket, recursive=True):
            client.remove_object(bucket_name=bucket, object_name=item.object_name)
        client.remove_bucket(bucket_name=bucket)
