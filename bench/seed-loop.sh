#!/bin/bash
# The row-generating loop of the documented Open-Xchange script, alone (see
# testdata/seed/ox-preprovision.sh for the whole script), for `make bench`.
# Usage: seed-loop.sh SCHEMAS_CSV START END OUTPUT
schemas_csv=$1 start_cid=$2 end_cid=$3 out=$4
admin_user=oxadmin admin_pass=secret context_name_prefix=context quota=1000
access_combination_name=all language=en_US timezone=Europe/Berlin
exec 3<$schemas_csv
read headers <&3
cp /dev/null $out
for(( i=$start_cid; i<=$end_cid; i++ ))
do
    read stuff <&3 || {
        exec 3<$schemas_csv
        read _headers <&3
        read stuff <&3
    }
    echo "\"$i\",\"$admin_user\",\"$admin_pass\",\"Admin Context $i\",\"Admin\",\"Context $i\",\"$admin_user@$context_name_prefix$i\",\"$quota\",\"$access_combination_name\",\"$language\",\"$timezone\",$stuff" >> $out
done
