#!/bin/bash
# The Open-Xchange "Context Preprovisioning" sample script, rebuilt from the
# fragments quoted in its documentation, as a test fixture: ctxrows and
# ctxsplit are compared against what it writes. The loop, the echo, the split
# and the sed are the documented ones; option parsing and defaults, which the
# documentation leaves out, are filled in the obvious way. It keeps the
# script's flaws on purpose (the echo does not escape values).

schemas_csv=schemas.csv
admin_user=oxadmin
admin_pass=secret
start_cid=1
end_cid=100
parallel=4
output_prefix=contexts-
context_name_prefix=context
quota=1000
access_combination_name=all
language=en_US
timezone=Europe/Berlin
master_user=oxadminmaster
master_pass=secret

usage() {
cat >&2 <<USAGE
Usage: $0 [-d schemas.csv input file name] [-p password] [-s startid] [-e endid] [-n nr_shards] [-c contexts.csv prefix]
USAGE
    exit 1
}

while getopts ":A:P:s:e:p:o:c:d:n:" o; do
    case "${o}" in
        A) master_user=${OPTARG} ;;
        P) master_pass=${OPTARG} ;;
        s) start_cid=${OPTARG} ;;
        e) end_cid=${OPTARG} ;;
        p) admin_pass=${OPTARG} ;;
        o) context_name_prefix=${OPTARG} ;;
        c) output_prefix=${OPTARG} ;;
        d) schemas_csv=${OPTARG} ;;
        n) parallel=${OPTARG} ;;
        *) usage ;;
    esac
done
shift $((OPTIND-1))

if [ $end_cid -lt $start_cid ]; then
    usage
fi

exec 3<$schemas_csv
read headers <&3

d=$(mktemp --tmpdir=. -d -t contexts-XXXXX)

cp /dev/null $d/contexts.all.csv

for(( i=$start_cid; i<=$end_cid; i++ ))
do
    read stuff <&3 || {
        exec 3<$schemas_csv
        read _headers <&3
        read stuff <&3
    }
    echo "\"$i\",\"$admin_user\",\"$admin_pass\",\"Admin Context $i\",\"Admin\",\"Context $i\",\"$admin_user@$context_name_prefix$i\",\"$quota\",\"$access_combination_name\",\"$language\",\"$timezone\",$stuff" >> $d/contexts.all.csv
done
cat $d/contexts.all.csv | split -u -n r/$parallel --numeric-suffixes=1 --additional-suffix=.csv - $d/$output_prefix

sed -i -e "1i contextid,username,password,displayname,givenname,surname,email,quota,access-combination-name,language,timezone,$headers" $d/contexts-*.csv

cat >$d/createcontexts.sh <<SCRIPT
for file in *-*.csv
do
    /opt/open-xchange/sbin/createcontext -A $master_user -P $master_pass --csv-import \$file &
done
wait
# alternatively, using gnu parallel can be more convenient and powerful
#parallel '/opt/open-xchange/sbin/createcontext -A $master_user -P $master_pass --csv-import {}' ::: *-*.csv
SCRIPT

echo $d

exit 0
