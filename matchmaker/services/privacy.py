"""Keeping personal numbers safe: encryption of ID numbers, keyed hashes, masking."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _

from matchmaker.services.errors import DomainError


class IdVault:
    """Encrypts ID numbers (Fernet) and derives a keyed hash for de-duplication."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise DomainError(_("身份证加密密钥无效：应为 Fernet 密钥（32 字节 base64）")) from exc
        self._hash_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"matchmaker id hash"
        ).derive(key.encode())

    def encrypt(self, number: str) -> bytes:
        return self._fernet.encrypt(number.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            raise DomainError(_("无法解密身份证号码：密钥与数据不匹配")) from None

    def digest(self, number: str) -> str:
        return hmac.new(self._hash_key, number.encode(), hashlib.sha256).hexdigest()


def vault() -> IdVault:
    """The vault for the current application, built once from its ID_KEY."""
    ext = current_app.extensions
    if "matchmaker_vault" not in ext:
        ext["matchmaker_vault"] = IdVault(current_app.config["ID_KEY"])
    return ext["matchmaker_vault"]


def mask_mobile(mobile: str | None) -> str:
    """138****5678"""
    if not mobile:
        return ""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 8 else "****"


def mask_id_tail(tail: str | None) -> str:
    """The masked form of an ID number from its last four characters only."""
    if not tail:
        return ""
    return "*" * 14 + tail
