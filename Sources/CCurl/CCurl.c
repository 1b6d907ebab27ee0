#include "CCurl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct accord_curl_share {
    CURLSH *handle;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static pthread_once_t global_init = PTHREAD_ONCE_INIT;

static void initialize_curl(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void lock_share(CURL *easy, curl_lock_data data, curl_lock_access access, void *user) {
    (void)easy;
    (void)access;
    pthread_mutex_lock(&((accord_curl_share *)user)->locks[data]);
}

static void unlock_share(CURL *easy, curl_lock_data data, void *user) {
    (void)easy;
    pthread_mutex_unlock(&((accord_curl_share *)user)->locks[data]);
}

accord_curl_share *accord_curl_share_new(void) {
    pthread_once(&global_init, initialize_curl);
    accord_curl_share *share = calloc(1, sizeof *share);
    if (!share) return NULL;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&share->locks[i], NULL);
    share->handle = curl_share_init();
    curl_share_setopt(share->handle, CURLSHOPT_LOCKFUNC, lock_share);
    curl_share_setopt(share->handle, CURLSHOPT_UNLOCKFUNC, unlock_share);
    curl_share_setopt(share->handle, CURLSHOPT_USERDATA, share);
    curl_share_setopt(share->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return share;
}

void accord_curl_share_free(accord_curl_share *share) {
    if (!share) return;
    curl_share_cleanup(share->handle);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&share->locks[i]);
    free(share);
}

static int append(accord_curl_buffer *buffer, const char *bytes, size_t length) {
    if (buffer->length + length > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < buffer->length + length) capacity *= 2;
        char *grown = realloc(buffer->bytes, capacity);
        if (!grown) return 0;
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length += length;
    return 1;
}

static size_t write_body(char *bytes, size_t size, size_t count, void *user) {
    return append(&((accord_curl_response *)user)->body, bytes, size * count) ? size * count : 0;
}

static size_t write_header(char *bytes, size_t size, size_t count, void *user) {
    accord_curl_response *response = user;
    // Each response (a 100 Continue, then the final one) starts with its status line: keep the last.
    if (size * count >= 5 && memcmp(bytes, "HTTP/", 5) == 0) response->headers.length = 0;
    return append(&response->headers, bytes, size * count) ? size * count : 0;
}

void accord_curl_perform(
    accord_curl_share *share, const char *method, const char *url,
    const char *const *headers, size_t header_count,
    const char *body, size_t body_length, int has_body,
    long timeout_ms, accord_curl_response *response) {
    memset(response, 0, sizeof *response);
    CURL *easy = curl_easy_init();
    if (!easy) {
        response->curl_code = CURLE_FAILED_INIT;
        strcpy(response->error, "libcurl could not start a transfer");
        return;
    }
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++) list = curl_slist_append(list, headers[i]);

    curl_easy_setopt(easy, CURLOPT_SHARE, share->handle);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, response->error);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, response);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, write_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, response);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    // No progress (less than a byte a second) for the timeout's length ends the transfer.
    long seconds = (timeout_ms + 999) / 1000;
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, seconds > 0 ? seconds : 1L);
    if (strcmp(method, "GET") == 0 && !has_body) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    }
    if (has_body) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body_length ? body : "");
    }

    CURLcode code = curl_easy_perform(easy);
    response->curl_code = (int)code;
    if (code == CURLE_OK) {
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response->status);
    } else {
        curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &response->os_errno);
        if (response->error[0] == 0) {
            strncpy(response->error, curl_easy_strerror(code), sizeof response->error - 1);
        }
    }
    curl_easy_cleanup(easy);
    curl_slist_free_all(list);
}

void accord_curl_response_free(accord_curl_response *response) {
    free(response->headers.bytes);
    free(response->body.bytes);
    memset(response, 0, sizeof *response);
}
