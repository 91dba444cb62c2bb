// libyaml (libyaml-dev): the YAML 1.1 parser under Sextant's YAML reader.
#include <yaml.h>
