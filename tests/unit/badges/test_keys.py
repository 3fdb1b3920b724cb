"""The key folder: private keys in files only their owner can read, refused otherwise."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from carepassport.adapters.badges.keys import FolderKeys, MemoryKeys
from carepassport.adapters.badges.multikey import load_public_multikey
from carepassport.application.badges.ports import KeysUnavailable
from carepassport.domain.errors import AlreadyExists


def test_a_new_key_file_is_mode_0600_in_a_0700_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cp.keys"

    FolderKeys(folder).create("key-1")

    assert stat.S_IMODE((folder / "key-1.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_key_read_back_from_its_file_signs_for_its_public_half(tmp_path: Path) -> None:
    public = FolderKeys(tmp_path).create("key-1")

    signature = FolderKeys(tmp_path).signer("key-1")(b"data")

    load_public_multikey(public).verify(signature, b"data")


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    FolderKeys(tmp_path).create("key-1")
    os.chmod(tmp_path / "key-1.json", 0o644)

    with pytest.raises(KeysUnavailable, match="chmod 600"):
        FolderKeys(tmp_path).signer("key-1")


def test_a_missing_key_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KeysUnavailable, match="missing"):
        FolderKeys(tmp_path).signer("key-9")


def test_creating_a_key_over_an_existing_file_is_refused(tmp_path: Path) -> None:
    FolderKeys(tmp_path).create("key-1")

    with pytest.raises(AlreadyExists):
        FolderKeys(tmp_path).create("key-1")


def test_without_a_folder_the_keys_are_unavailable_and_say_which_variable_to_set() -> None:
    with pytest.raises(KeysUnavailable, match="CAREPASSPORT_KEYS"):
        FolderKeys(None).create("key-1")


def test_memory_keys_sign_for_their_public_half() -> None:
    keys = MemoryKeys()
    public = keys.create("key-1")

    load_public_multikey(public).verify(keys.signer("key-1")(b"x"), b"x")
