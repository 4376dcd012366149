"""TLS and mutual TLS on the gRPC port, with a throwaway CA, server and client certificates
made at test time (the ``cryptography`` package if importable, else the ``openssl`` command,
else the tests skip). Checked with our Client and with Triton's official client."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

from minitf.serving.client import Client
from minitf.serving.config import ServerOptions
from minitf.serving.repository import ModelConfig
from minitf.serving.server import ModelServer

from .conftest import reference, running_server, write_model

X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, -2.0]], np.float32)
CALL_TIMEOUT = 5  # a refused handshake fails at once; this only bounds a broken one


@dataclass
class Pair:
    cert: Path
    key: Path


@dataclass
class PKI:
    ca: Path
    server: Pair
    client: Pair
    other_ca: Path  # an unrelated CA ...
    stranger: Pair  # ... and a client certificate it signed


# -- certificates with the cryptography package --------------------------------------------
def _make_with_cryptography(out: Path) -> PKI:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def write(name, key, cert) -> Pair:
        pair = Pair(out / f"{name}.pem", out / f"{name}.key")
        pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        pair.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return pair

    def issue(name, issuer=None, usage=None, san=None):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        signer_key, signer_name = (key, subject) if issuer is None else issuer
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(signer_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None),
                                  critical=True))
        if usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if san is not None:
            builder = builder.add_extension(san, critical=False)
        return key, subject, builder.sign(signer_key, hashes.SHA256())

    ca_key, ca_name, ca_cert = issue("minitf test CA")
    other_key, other_name, other_cert = issue("unrelated CA")
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    server = issue("localhost", (ca_key, ca_name), ExtendedKeyUsageOID.SERVER_AUTH, san)
    client = issue("client", (ca_key, ca_name), ExtendedKeyUsageOID.CLIENT_AUTH)
    stranger = issue("stranger", (other_key, other_name), ExtendedKeyUsageOID.CLIENT_AUTH)
    return PKI(write("ca", ca_key, ca_cert).cert, write("server", server[0], server[2]),
               write("client", client[0], client[2]), write("other_ca", other_key,
                                                            other_cert).cert,
               write("stranger", stranger[0], stranger[2]))


# -- certificates with the openssl command -------------------------------------------------
_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[server]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[client]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = clientAuth
"""


def _make_with_openssl(out: Path, openssl: str) -> PKI:
    config = out / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG)

    def run(*args):
        subprocess.run([openssl, *args], check=True, capture_output=True, timeout=30)

    def new_key(name) -> Path:
        key = out / f"{name}.key"
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
            str(key))
        return key

    def ca(name, cn) -> Pair:
        pair = Pair(out / f"{name}.pem", new_key(name))
        run("req", "-config", str(config), "-new", "-x509", "-key", str(pair.key), "-subj",
            f"/CN={cn}", "-days", "1", "-extensions", "ca", "-out", str(pair.cert))
        return pair

    def issue(name, cn, signer: Pair, section) -> Pair:
        pair = Pair(out / f"{name}.pem", new_key(name))
        csr = out / f"{name}.csr"
        run("req", "-config", str(config), "-new", "-key", str(pair.key), "-subj", f"/CN={cn}",
            "-out", str(csr))
        run("x509", "-req", "-in", str(csr), "-CA", str(signer.cert), "-CAkey",
            str(signer.key), "-set_serial", str(abs(hash(name)) % 10**9 + 1), "-days", "1",
            "-extfile", str(config), "-extensions", section, "-out", str(pair.cert))
        return pair

    root, other = ca("ca", "minitf test CA"), ca("other_ca", "unrelated CA")
    return PKI(root.cert, issue("server", "localhost", root, "server"),
               issue("client", "client", root, "client"), other.cert,
               issue("stranger", "stranger", other, "client"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    out = tmp_path_factory.mktemp("pki")
    try:
        import cryptography  # noqa: F401
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("TLS tests need the 'cryptography' package or the 'openssl' command "
                        "to make throwaway certificates; neither is available")
        return _make_with_openssl(out, openssl)
    return _make_with_cryptography(out)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls") / "dense"
    write_model(str(base), 1)
    return [ModelConfig(name="dense", base_path=str(base))]


def credentials(pki: PKI, ca: Path | None = None, client: Pair | None = None):
    return grpc.ssl_channel_credentials(
        root_certificates=(ca or pki.ca).read_bytes(),
        private_key=client.key.read_bytes() if client else None,
        certificate_chain=client.cert.read_bytes() if client else None)


def predict_over(target, creds) -> dict:
    with Client(target, credentials=creds, timeout=CALL_TIMEOUT) as client:
        return client.predict("dense", {"x": X})


def refused(target, creds):
    with pytest.raises(grpc.RpcError) as err:
        if creds is None:
            with Client(target, timeout=CALL_TIMEOUT) as client:
                client.predict("dense", {"x": X})
        else:
            predict_over(target, creds)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value.details()


def test_tls(pki, model):
    with running_server(model, ssl_cert=str(pki.server.cert),
                        ssl_key=str(pki.server.key)) as (server, _):
        target = f"127.0.0.1:{server.grpc_port}"
        out = predict_over(target, credentials(pki))
        np.testing.assert_allclose(out["probs"], reference(X)["probs"], rtol=1e-5, atol=1e-6)
        # Triton's client over TLS, unchanged.
        official = triton.InferenceServerClient(target, ssl=True,
                                                root_certificates=str(pki.ca))
        try:
            assert official.is_server_ready()
            result = official.infer("dense", [triton.InferInput("x", [2, 4], "FP32")
                                              .set_data_from_numpy(X)])
            np.testing.assert_array_equal(result.as_numpy("classes"), reference(X)["classes"])
        finally:
            official.close()
        refused(target, None)  # plaintext against a TLS port
        refused(target, credentials(pki, ca=pki.other_ca))  # server cert not trusted


def test_mutual_tls(pki, model):
    with running_server(model, ssl_cert=str(pki.server.cert), ssl_key=str(pki.server.key),
                        ssl_client_ca=str(pki.ca)) as (server, _):
        target = f"127.0.0.1:{server.grpc_port}"
        out = predict_over(target, credentials(pki, client=pki.client))
        np.testing.assert_allclose(out["logits"], reference(X)["logits"], rtol=1e-5,
                                   atol=1e-6)
        official = triton.InferenceServerClient(
            target, ssl=True, root_certificates=str(pki.ca), private_key=str(pki.client.key),
            certificate_chain=str(pki.client.cert))
        try:
            assert official.is_model_ready("dense")
        finally:
            official.close()
        refused(target, credentials(pki))  # no client certificate
        refused(target, credentials(pki, client=pki.stranger))  # signed by another CA
        anonymous = triton.InferenceServerClient(target, ssl=True,
                                                 root_certificates=str(pki.ca))
        try:
            with pytest.raises(InferenceServerException) as err:
                anonymous.is_server_live(client_timeout=CALL_TIMEOUT)
            assert err.value.status() == "StatusCode.UNAVAILABLE"
        finally:
            anonymous.close()


def test_tls_needs_both_certificate_and_key(pki, model):
    options = ServerOptions(grpc_port=0, http_port=-1, host="127.0.0.1", models=model,
                            poll_seconds=0, ssl_cert=str(pki.server.cert), grace_seconds=1)
    server = ModelServer(options, process_metrics=False)
    try:
        with pytest.raises(ValueError, match="--ssl_cert and --ssl_key"):
            server.start()
    finally:
        server.stop(grace=1)
