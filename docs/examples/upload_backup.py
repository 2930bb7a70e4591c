"""Uploads a backup to S3 with the edge-workload profile, whose credential_process is
rolesanywhere-agent. The program knows nothing about Roles Anywhere or the key.

Usage: upload_backup.py FILE BUCKET [ENDPOINT_URL]
ENDPOINT_URL points S3 at the offline local endpoint; leave it out against AWS.
"""
import sys

import boto3
from botocore.exceptions import ClientError


def upload_to_s3(file_name: str, bucket: str, endpoint_url: str | None) -> int:
    session = boto3.Session(profile_name="edge-workload")
    s3 = session.client("s3", endpoint_url=endpoint_url)
    try:
        if endpoint_url:
            s3.create_bucket(Bucket=bucket)
        s3.upload_file(file_name, bucket, file_name.rsplit("/", 1)[-1])
    except ClientError as error:
        print(f"upload failed: {error}", file=sys.stderr)
        return 1
    identity = session.client("sts", endpoint_url=endpoint_url).get_caller_identity()
    print(f"uploaded {file_name} to s3://{bucket} as {identity['Arn']}")
    return 0


if __name__ == "__main__":
    sys.exit(upload_to_s3(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
