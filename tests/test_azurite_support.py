from azure.storage.blob import BlobServiceClient


def test_azurite_serves_blobs(azurite):
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.create_container("smoke")
    container.upload_blob("hello.txt", b"hello")
    assert container.download_blob("hello.txt").readall() == b"hello"
