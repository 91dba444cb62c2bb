#include "CLibrary.h"
#include "CLDNS.h"

struct cldns_api cldns_api;

static struct clibrary library = CLIBRARY_INIT("libldns.so.3", "libldns");

static void resolve(struct clibrary *lib) {
    cldns_api.dname_new_frm_str = (ldns_rdf *(*)(const char *))clibrary_symbol(lib, "ldns_dname_new_frm_str");
    cldns_api.rdf_deep_free = (void (*)(ldns_rdf *))clibrary_symbol(lib, "ldns_rdf_deep_free");
    cldns_api.rdf_clone = (ldns_rdf *(*)(const ldns_rdf *))clibrary_symbol(lib, "ldns_rdf_clone");
    cldns_api.rr_free = (void (*)(ldns_rr *))clibrary_symbol(lib, "ldns_rr_free");
    cldns_api.rr_new_frm_fp_l = (ldns_status (*)(ldns_rr **, FILE *, uint32_t *, ldns_rdf **, ldns_rdf **, int *))clibrary_symbol(lib, "ldns_rr_new_frm_fp_l");
    cldns_api.get_errorstr_by_id = (const char *(*)(ldns_status))clibrary_symbol(lib, "ldns_get_errorstr_by_id");
    cldns_api.rr_get_type = (ldns_rr_type (*)(const ldns_rr *))clibrary_symbol(lib, "ldns_rr_get_type");
    cldns_api.rr_get_class = (ldns_rr_class (*)(const ldns_rr *))clibrary_symbol(lib, "ldns_rr_get_class");
    cldns_api.rr_owner = (ldns_rdf *(*)(const ldns_rr *))clibrary_symbol(lib, "ldns_rr_owner");
    cldns_api.rr_rd_count = (size_t (*)(const ldns_rr *))clibrary_symbol(lib, "ldns_rr_rd_count");
    cldns_api.rr_rdf = (ldns_rdf *(*)(const ldns_rr *, size_t))clibrary_symbol(lib, "ldns_rr_rdf");
    cldns_api.rdf_get_type = (ldns_rdf_type (*)(const ldns_rdf *))clibrary_symbol(lib, "ldns_rdf_get_type");
    cldns_api.rr_ttl = (uint32_t (*)(const ldns_rr *))clibrary_symbol(lib, "ldns_rr_ttl");
    cldns_api.rdf_size = (size_t (*)(const ldns_rdf *))clibrary_symbol(lib, "ldns_rdf_size");
    cldns_api.rdf_data = (uint8_t *(*)(const ldns_rdf *))clibrary_symbol(lib, "ldns_rdf_data");
    cldns_api.rr2str = (char *(*)(const ldns_rr *))clibrary_symbol(lib, "ldns_rr2str");
}

const char *cldns_load(void) {
    return clibrary_load(&library, resolve);
}
