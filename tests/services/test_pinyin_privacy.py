from cryptography.fernet import Fernet

from matchmaker.services.pinyin import name_keys
from matchmaker.services.privacy import IdVault, mask_id_tail, mask_mobile


def test_name_keys():
    assert name_keys("陈晓燕") == ("chenxiaoyan", "cxy")
    # Surnames read differently from the common reading.
    assert name_keys("曾小红")[1].split("|")[0] == "zxh"
    assert name_keys("单丽")[0] == "shanli|danli"
    assert name_keys("查美玲")[1] == "zml|cml"  # both readings find her
    assert name_keys("解静")[0].split("|")[0] == "xiejing"
    assert name_keys("陈晓燕")[1] == "cxy"  # no alternates where there is no doubt


def test_vault_round_trip_and_keyed_hash():
    key = Fernet.generate_key().decode()
    v = IdVault(key)
    token = v.encrypt("33048119900517123X")
    assert b"330481" not in token
    assert v.decrypt(token) == "33048119900517123X"
    assert v.digest("33048119900517123X") == IdVault(key).digest("33048119900517123X")
    assert v.digest("33048119900517123X") != IdVault(Fernet.generate_key().decode()).digest(
        "33048119900517123X")


def test_masks():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile(None) == ""
    assert mask_id_tail("123X") == "**************123X"
    assert len(mask_id_tail("123X")) == 18
