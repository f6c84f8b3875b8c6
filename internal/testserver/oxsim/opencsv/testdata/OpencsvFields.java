// Reads CSV documents with Debian's opencsv 5.2, configured as Open-Xchange
// configures opencsv 2.0 (new CSVReader(reader, ',', '"'): separator ',',
// quote '"', the escape left at its default '\'), and prints the fields of
// each record for the differential test of package opencsv.
//
// Input (the file named by the first argument): documents, each "<n>\n"
// followed by n bytes. Output, per document: "D\n", then "R\n" per record
// and "F <hex of the field's UTF-8>\n" per field, or "E <message>\n" when
// opencsv throws. Leading white space is kept (withIgnoreLeadingWhiteSpace
// false), as 2.0 has no such option and keeps it.
import com.opencsv.CSVParser;
import com.opencsv.CSVParserBuilder;
import com.opencsv.CSVReader;
import com.opencsv.CSVReaderBuilder;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

public class OpencsvFields {
    public static void main(String[] args) throws Exception {
        byte[] all = Files.readAllBytes(Paths.get(args[0]));
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        int pos = 0;
        while (pos < all.length) {
            int nl = pos;
            while (all[nl] != '\n') nl++;
            int n = Integer.parseInt(new String(all, pos, nl - pos, StandardCharsets.US_ASCII));
            pos = nl + 1;
            out.print("D\n");
            read(all, pos, n, out);
            pos += n;
        }
        out.flush();
    }

    static void read(byte[] all, int off, int n, PrintStream out) {
        CSVParser parser = new CSVParserBuilder().withSeparator(',').withQuoteChar('"').withEscapeChar('\\')
                .withIgnoreLeadingWhiteSpace(false).build();
        StringBuilder sb = new StringBuilder();
        try (CSVReader r = new CSVReaderBuilder(new InputStreamReader(new ByteArrayInputStream(all, off, n), StandardCharsets.UTF_8))
                .withCSVParser(parser).build()) {
            for (String[] rec; (rec = r.readNext()) != null;) {
                sb.append("R\n");
                for (String f : rec) {
                    sb.append("F ");
                    for (byte b : f.getBytes(StandardCharsets.UTF_8)) sb.append(String.format("%02x", b & 0xff));
                    sb.append('\n');
                }
            }
            out.print(sb);
        } catch (Exception e) {
            out.print(sb);
            out.print("E " + e.getClass().getSimpleName() + "\n");
        }
    }
}
