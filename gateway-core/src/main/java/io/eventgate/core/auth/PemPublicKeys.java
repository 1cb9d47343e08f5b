package io.eventgate.core.auth;

import java.io.ByteArrayInputStream;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the configured PEM into an RSA or EC P-256 public key. Every failure is an
 * {@link IllegalArgumentException} naming {@code GATEWAY_JWT_PUBLIC_KEY_FILE}; messages never
 * include key material.
 */
final class PemPublicKeys {
    static final String SETTING = "GATEWAY_JWT_PUBLIC_KEY_FILE";
    static final int MIN_RSA_BITS = 2048;

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final ECParameterSpec P256 = p256();

    private PemPublicKeys() {}

    /** Returns an {@link RSAPublicKey} or a P-256 {@link ECPublicKey}. */
    static PublicKey parse(String pem) {
        if (pem == null || pem.isBlank()) {
            throw bad("it is empty", null);
        }
        List<String> labels = new ArrayList<>();
        Matcher m = BLOCK.matcher(pem);
        String label = null;
        String body = null;
        while (m.find()) {
            labels.add(m.group(1));
            if (label == null && (m.group(1).equals("PUBLIC KEY") || m.group(1).equals("CERTIFICATE"))) {
                label = m.group(1);
                body = m.group(2);
            }
        }
        if (labels.stream().anyMatch(l -> l.contains("PRIVATE KEY"))) {
            throw bad("it contains a private key; give the gateway only the public key or certificate", null);
        }
        if (label == null) {
            if (labels.contains("RSA PUBLIC KEY")) {
                throw bad("PKCS#1 'BEGIN RSA PUBLIC KEY' is not supported; convert it with "
                        + "'openssl rsa -RSAPublicKey_in -in key.pem -pubout'", null);
            }
            throw bad(labels.isEmpty() ? "no PEM block found"
                    : "expected a 'BEGIN PUBLIC KEY' or 'BEGIN CERTIFICATE' block, found " + labels, null);
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw bad("the " + label + " block is not valid base64", e);
        }
        PublicKey key = label.equals("CERTIFICATE") ? fromCertificate(der) : fromSubjectPublicKeyInfo(der);
        return checkSupported(key);
    }

    /** RS256 for RSA keys, ES256 for EC keys (callers pass keys returned by {@link #parse}). */
    static TokenAlgorithm algorithmFor(PublicKey key) {
        return key instanceof RSAPublicKey ? TokenAlgorithm.RS256 : TokenAlgorithm.ES256;
    }

    private static PublicKey fromCertificate(byte[] der) {
        try {
            return CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der))
                    .getPublicKey();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw bad("the CERTIFICATE block is not a valid X.509 certificate", e);
        }
    }

    private static PublicKey fromSubjectPublicKeyInfo(byte[] der) {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        for (String type : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(type).generatePublic(spec);
            } catch (InvalidKeySpecException | RuntimeException e) {
                // not this key type: try the next one
            } catch (GeneralSecurityException e) {
                throw bad("the JDK cannot load " + type + " keys", e);
            }
        }
        throw bad("the PUBLIC KEY block is not an RSA or EC public key (X.509 SubjectPublicKeyInfo)", null);
    }

    private static PublicKey checkSupported(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < MIN_RSA_BITS) {
                throw bad("RSA key is " + bits + " bits; RS256 needs at least " + MIN_RSA_BITS, null);
            }
            return key;
        }
        if (key instanceof ECPublicKey ec) {
            if (!isP256(ec.getParams())) {
                throw bad("EC key is not on curve P-256 (secp256r1), which ES256 requires", null);
            }
            return key;
        }
        throw bad("unsupported key type " + key.getAlgorithm() + "; use an RSA or EC P-256 key", null);
    }

    private static boolean isP256(ECParameterSpec p) {
        return p != null
                && p.getCurve().equals(P256.getCurve())
                && p.getGenerator().equals(P256.getGenerator())
                && p.getOrder().equals(P256.getOrder())
                && p.getCofactor() == P256.getCofactor();
    }

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec("secp256r1"));
            return params.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK has no secp256r1 support", e);
        }
    }

    private static IllegalArgumentException bad(String why, Exception cause) {
        return new IllegalArgumentException(SETTING + " does not hold a usable PEM public key: " + why, cause);
    }
}
