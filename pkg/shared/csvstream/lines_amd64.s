#include "textflag.h"

// func lineEndsAVX2(buf []byte, blocks int, ends, quotes, shapes []int) (lines int)
//
// lineEnds' search over the first blocks*32 bytes of buf, which holds at
// least two bytes more, thirty-two bytes at a time. Each block gives masks
// of its line feeds (AX) and quotes (DX), and one of its commas (low half
// of R14) with, above them, its bad commas: those without a quote on both
// sides or with a comma two bytes on (the bytes at i-1, i+1 and i+2 are
// loaded as blocks of their own; before the buffer there is no quote).
// For each line feed, lowest first, the quotes, commas and bad commas
// before it in the block join those since the last line end (R12, and
// R15: commas in its low half, bad commas ORed into its high half), and
// the offset just past it, the quotes and the shape (the commas, or -1
// with a bad one) are stored.
TEXT ·lineEndsAVX2(SB), NOSPLIT, $0-112
	MOVQ buf_base+0(FP), SI
	MOVQ blocks+24(FP), BX
	SHLQ $5, BX            // the bytes searched
	MOVQ ends_base+32(FP), DI
	MOVQ ends_len+40(FP), R9
	MOVQ quotes_base+56(FP), R10
	XORQ R11, R11          // lines found
	XORQ R12, R12          // quotes since the last line end
	XORQ R13, R13          // the block's offset
	XORQ R15, R15          // commas and bad commas since the last line end
	MOVQ $0x0a, AX
	MOVQ AX, X10
	VPBROADCASTB X10, Y10  // line feeds
	MOVQ $0x22, AX
	MOVQ AX, X11
	VPBROADCASTB X11, Y11  // quotes
	MOVQ $0x2c, AX
	MOVQ AX, X12
	VPBROADCASTB X12, Y12  // commas
	TESTQ R9, R9
	JZ    done

block:
	CMPQ R13, BX
	JAE  done
	VMOVDQU (SI)(R13*1), Y0
	VPCMPEQB Y10, Y0, Y1
	VPMOVMSKB Y1, AX       // line feeds
	VPCMPEQB Y11, Y0, Y2
	VPMOVMSKB Y2, DX       // quotes
	VPCMPEQB Y12, Y0, Y3   // commas
	VPMOVMSKB Y3, R14
	VMOVDQU 1(SI)(R13*1), Y4
	VPCMPEQB Y11, Y4, Y4   // a quote after
	VMOVDQU 2(SI)(R13*1), Y5
	VPCMPEQB Y12, Y5, Y5   // a comma two on
	VPAND Y3, Y5, Y5       // commas with a comma two on
	TESTQ R13, R13
	JZ    first
	VMOVDQU -1(SI)(R13*1), Y6
	VPCMPEQB Y11, Y6, Y6   // a quote before
	VPAND Y4, Y6, Y6       // quotes on both sides
	VPANDN Y3, Y6, Y6      // commas without them
	VPOR Y5, Y6, Y6        // bad commas
	VPMOVMSKB Y6, CX

flagged:
	SHLQ $32, CX
	ORQ  CX, R14
	TESTL AX, AX
	JNZ   line

rest:
	POPCNTL DX, DX
	ADDQ DX, R12
	MOVL R14, CX
	POPCNTL CX, CX
	ADDQ CX, R15
	SHRQ $32, R14
	SHLQ $32, R14
	ORQ  R14, R15
	ADDQ $32, R13
	JMP  block

line:
	BSFL AX, CX            // the line feed's place in the block
	MOVL $1, R8
	SHLL CX, R8
	DECL R8                // the places before it
	LEAQ 1(R13)(CX*1), CX
	MOVQ CX, (DI)(R11*8)   // the offset just past it
	MOVL DX, CX
	ANDL R8, CX
	POPCNTL CX, CX
	ADDQ CX, R12
	MOVQ R12, (R10)(R11*8) // the line's quotes
	XORQ R12, R12
	MOVL R14, CX
	ANDL R8, CX
	POPCNTL CX, CX
	ADDQ CX, R15           // the line's commas
	MOVQ R14, CX
	SHRQ $32, CX
	ANDL R8, CX
	SHLQ $32, CX
	ORQ  CX, R15           // its bad commas
	NOTL R8                // the places from it on
	ANDL R8, DX            // the quotes after it
	MOVQ R14, CX
	SHRQ $32, CX
	ANDL R8, CX
	SHLQ $32, CX
	ANDL R8, R14
	ORQ  CX, R14           // the commas and bad commas after it
	MOVQ R15, CX
	SHRQ $32, CX
	TESTQ CX, CX
	MOVQ $-1, CX
	CMOVQEQ R15, CX        // the commas, or -1 with a bad one
	MOVQ shapes_base+80(FP), R8
	MOVQ CX, (R8)(R11*8)   // the line's shape
	XORQ R15, R15
	INCQ R11
	LEAL -1(AX), R8
	ANDL R8, AX            // the next line feed
	CMPQ R11, R9
	JAE  done
	TESTL AX, AX
	JNZ   line
	JMP   rest

first:
	MOVL DX, CX
	SHLL $1, CX            // a quote before, in the first block
	VPMOVMSKB Y4, R8
	ANDL R8, CX            // quotes on both sides
	NOTL CX
	ANDL R14, CX           // commas without them
	VPMOVMSKB Y5, R8
	ORL  R8, CX            // bad commas
	JMP  flagged

done:
	MOVQ R11, lines+104(FP)
	VZEROUPPER
	RET
