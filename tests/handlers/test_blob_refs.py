import pytest

from adapters.blob import BlobRef, InvalidBlobRef

ACCOUNT = "devstoreaccount1"


@pytest.mark.parametrize(
    "bad_path",
    [
        "../secrets.tif",
        "a/../../b.tif",
        "/etc/passwd",
        "a\\b.tif",
        "a//b.tif",
        "a/./b.tif",
        "dir/",
        "",
        "a/b\x00.tif",
    ],
)
def test_unsafe_blob_path_is_rejected_naming_it(bad_path: str):
    with pytest.raises(InvalidBlobRef) as raised:
        BlobRef.of(ACCOUNT, "rasters", bad_path)
    assert repr(bad_path) in str(raised.value)


@pytest.mark.parametrize("bad_container", ["Rasters", "ra", "ras--ters", "-rasters", "a/b"])
def test_invalid_container_name_is_rejected_naming_it(bad_container: str):
    with pytest.raises(InvalidBlobRef, match=repr(bad_container).replace("/", ".")):
        BlobRef.of(ACCOUNT, bad_container, "x.tif")


def test_nested_blob_path_with_dots_in_names_is_accepted():
    ref = BlobRef.of(ACCOUNT, "rasters", "2024/scene..v2/band.1.tif")
    assert ref.path == "2024/scene..v2/band.1.tif"


def test_sibling_stays_in_the_same_container():
    ref = BlobRef.of(ACCOUNT, "rasters", "a/b.tif").sibling("a/b.stac.json")
    assert (ref.account, ref.container, ref.path) == (ACCOUNT, "rasters", "a/b.stac.json")
