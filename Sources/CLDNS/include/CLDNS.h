// libldns for Swift, loaded on first use.
//
// libldns reads the zone files that Sextant's own reader leaves to it (types and syntax
// beyond the usual ones, and every file with an error, for libldns's messages). It is
// not linked: it is opened with dlopen the first time such a file is read, so a server
// whose zone files are plain (the demo, the cluster set's SOA and NS) never maps libldns
// and the libssl and libcrypto it needs: about 2 MiB of resident memory (issue 18). The
// header gives the types and constants only.
#ifndef SEXTANT_CLDNS_H
#define SEXTANT_CLDNS_H
// stdbool.h must come before ldns: ldns/common.h otherwise defines `bool`
// as `signed char`, which Swift imports as Int8.
#include <stdbool.h>
#include <stdio.h>
#include <ldns/ldns.h>

/// The libldns functions Sextant calls, resolved by cldns_load.
struct cldns_api {
    ldns_rdf *(*dname_new_frm_str)(const char *);
    void (*rdf_deep_free)(ldns_rdf *);
    ldns_rdf *(*rdf_clone)(const ldns_rdf *);
    void (*rr_free)(ldns_rr *);
    ldns_status (*rr_new_frm_fp_l)(ldns_rr **, FILE *, uint32_t *, ldns_rdf **, ldns_rdf **, int *);
    const char *(*get_errorstr_by_id)(ldns_status);
    ldns_rr_type (*rr_get_type)(const ldns_rr *);
    ldns_rr_class (*rr_get_class)(const ldns_rr *);
    ldns_rdf *(*rr_owner)(const ldns_rr *);
    size_t (*rr_rd_count)(const ldns_rr *);
    ldns_rdf *(*rr_rdf)(const ldns_rr *, size_t);
    ldns_rdf_type (*rdf_get_type)(const ldns_rdf *);
    uint32_t (*rr_ttl)(const ldns_rr *);
    size_t (*rdf_size)(const ldns_rdf *);
    uint8_t *(*rdf_data)(const ldns_rdf *);
    char *(*rr2str)(const ldns_rr *);
};
extern struct cldns_api cldns_api;

/// Opens libldns (libldns.so.3) once, thread-safe. Returns NULL when it is usable, else
/// why not (dlerror's text, or the function it lacks).
const char *cldns_load(void);

static inline ldns_rdf *cldns_dname_new_frm_str(const char *s) { return cldns_api.dname_new_frm_str(s); }
static inline void cldns_rdf_deep_free(ldns_rdf *r) { cldns_api.rdf_deep_free(r); }
static inline ldns_rdf *cldns_rdf_clone(const ldns_rdf *r) { return cldns_api.rdf_clone(r); }
static inline void cldns_rr_free(ldns_rr *rr) { cldns_api.rr_free(rr); }
static inline ldns_status cldns_rr_new_frm_fp_l(ldns_rr **rr, FILE *fp, uint32_t *ttl, ldns_rdf **origin, ldns_rdf **prev, int *line) {
    return cldns_api.rr_new_frm_fp_l(rr, fp, ttl, origin, prev, line);
}
static inline const char *cldns_get_errorstr_by_id(ldns_status s) { return cldns_api.get_errorstr_by_id(s); }
static inline ldns_rr_type cldns_rr_get_type(const ldns_rr *rr) { return cldns_api.rr_get_type(rr); }
static inline ldns_rr_class cldns_rr_get_class(const ldns_rr *rr) { return cldns_api.rr_get_class(rr); }
static inline ldns_rdf *cldns_rr_owner(const ldns_rr *rr) { return cldns_api.rr_owner(rr); }
static inline size_t cldns_rr_rd_count(const ldns_rr *rr) { return cldns_api.rr_rd_count(rr); }
static inline ldns_rdf *cldns_rr_rdf(const ldns_rr *rr, size_t i) { return cldns_api.rr_rdf(rr, i); }
static inline ldns_rdf_type cldns_rdf_get_type(const ldns_rdf *r) { return cldns_api.rdf_get_type(r); }
static inline uint32_t cldns_rr_ttl(const ldns_rr *rr) { return cldns_api.rr_ttl(rr); }
static inline size_t cldns_rdf_size(const ldns_rdf *r) { return cldns_api.rdf_size(r); }
static inline uint8_t *cldns_rdf_data(const ldns_rdf *r) { return cldns_api.rdf_data(r); }
static inline char *cldns_rr2str(const ldns_rr *rr) { return cldns_api.rr2str(rr); }
#endif
