"""Helpers for tests and trials; not for production use.

:class:`Sandbox` serves the five vendors and the Alibaba Cloud API Gateway on loopback (what
``idcheck sandbox`` serves), answering from synthetic people, and counts billed calls per
person, so a test can prove that nobody was paid for twice::

    with idcheck.testing.Sandbox() as sandbox:
        verifier = idcheck.Verifier(["idcardcert"], base_url=sandbox.base_url,
                                    appcode=sandbox.appcode, ledger="memory")
        verifier.verify_identity("11010519491231002X", "张三")
        assert sandbox.billed_by_person()["11010519491231002X"] == 1
"""

from ._idcheck import Sandbox as Sandbox

__all__ = ["Sandbox"]
