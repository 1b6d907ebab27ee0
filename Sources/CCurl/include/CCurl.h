#ifndef ACCORD_CCURL_H
#define ACCORD_CCURL_H

#include <stddef.h>

/// A growable byte buffer filled by libcurl's callbacks; free with `accord_curl_response_free`.
typedef struct {
    char *bytes;
    size_t length;
    size_t capacity;
} accord_curl_buffer;

/// What one transfer returned: the final response's status, raw header lines and body, or
/// libcurl's error (`curl_code` non-zero) with its message and the socket's errno.
typedef struct {
    long status;
    accord_curl_buffer headers;
    accord_curl_buffer body;
    int curl_code;
    long os_errno;
    char error[256];
} accord_curl_response;

/// A connection cache (and DNS and TLS session cache) shared by every transfer of one client,
/// guarded by its own mutexes so transfers on several threads can use it at once.
typedef struct accord_curl_share accord_curl_share;

accord_curl_share *accord_curl_share_new(void);
void accord_curl_share_free(accord_curl_share *share);

/// Performs one request, blocking the calling thread in poll() until it is done. `headers` are
/// `Name: value` lines; `timeout_ms` bounds the connection and any stretch without progress.
/// Redirects are not followed and no authentication is negotiated: the caller does both.
void accord_curl_perform(
    accord_curl_share *share, const char *method, const char *url,
    const char *const *headers, size_t header_count,
    const char *body, size_t body_length, int has_body,
    long timeout_ms, accord_curl_response *response);

void accord_curl_response_free(accord_curl_response *response);

#endif
